package dev.streamfleet.worker.internal.kafka;

import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Building the Kafka dead-letter destination: no broker is needed until a letter is sent. */
class KafkaDeadLetterSinkTest {

    private static final String NOWHERE = "127.0.0.1:1";

    @Test
    void theDefaultClientSettingsMakeAProducerTheClientAccepts() {
        // Kafka 4 lingers 5 ms by default: a delivery timeout of exactly the request timeout was refused at start.
        try (KafkaDeadLetterSink sink = new KafkaDeadLetterSink("letters", NOWHERE, Map.of())) {
            assertThat(sink.describe()).isEqualTo("Kafka topic letters at " + NOWHERE);
        }
    }

    @Test
    void aUserLingerAndRequestTimeoutBeyondTheAckTimeoutStillMakeAProducer() {
        try (KafkaDeadLetterSink sink = new KafkaDeadLetterSink("letters", NOWHERE,
                Map.of("linger.ms", "100", "request.timeout.ms", "40000"))) {
            assertThat(sink.describe()).contains("letters");
        }
    }

    @Test
    void aSettingTheClientRefusesIsOneLineThatNamesTheDestinationAndTheReason() {
        assertThatThrownBy(() -> new KafkaDeadLetterSink("letters", NOWHERE, Map.of("compression.type", "nonsense")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cannot write dead letters to Kafka topic letters at " + NOWHERE + ": ")
                .hasMessageContaining("compression.type");
    }

    @Test
    void aDeliveryTimeoutTheUserSetIsTheirsNotOverwritten() {
        // Too short for the request timeout: the client refuses it, which shows the user's value reached it.
        assertThatThrownBy(() -> new KafkaDeadLetterSink("letters", NOWHERE, Map.of("delivery.timeout.ms", "1000")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("delivery.timeout.ms").hasMessageNotContaining("\n");
    }
}
