package dev.streamfleet.worker.internal.kafka;

import dev.streamfleet.worker.DeadLetterSink;
import dev.streamfleet.worker.FailedRecord;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Dead letters into a Kafka topic, keyed by the record's partition key, acknowledged by all in-sync replicas. */
public final class KafkaDeadLetterSink implements DeadLetterSink {

    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);
    /** Below {@link #ACK_TIMEOUT}, so that a letter's send may be retried within it. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

    private final String topic;
    private final String bootstrapServers;
    private final KafkaProducer<byte[], byte[]> producer;
    private final long deliveryTimeoutMillis;

    public KafkaDeadLetterSink(String topic, String bootstrapServers, Map<String, String> clientProperties) {
        this.topic = topic;
        this.bootstrapServers = bootstrapServers;
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // One letter at a time, awaited: nothing to linger for. The client refuses a delivery timeout below
        // linger + request timeout (and lingers 5 ms by default since Kafka 4.0), so it follows from those two.
        props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "0");
        props.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(REQUEST_TIMEOUT.toMillis()));
        // A delivery timeout the user set is theirs (the client refuses it, naming it, if it is too short).
        props.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(Math.min(Integer.MAX_VALUE,
                Math.max(ACK_TIMEOUT.toMillis(), millis(props, ProducerConfig.LINGER_MS_CONFIG)
                        + millis(props, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG)))));
        this.deliveryTimeoutMillis = millis(props, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG);
        try {
            this.producer = new KafkaProducer<>(props);
        } catch (KafkaException e) {
            // The client's own message ("Failed to construct kafka producer") hides the reason in its cause.
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IllegalArgumentException("cannot write dead letters to " + describe() + ": " + cause.getMessage(), e);
        }
    }

    /** A duration property as the client reads it; one that is not a number is left for the client to refuse. */
    private static long millis(Properties props, String key) {
        try {
            return Long.parseLong(String.valueOf(props.get(key)).trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public void send(FailedRecord record) throws Exception {
        producer.send(new ProducerRecord<>(topic, record.record().key(),
                record.toJson())).get(deliveryTimeoutMillis + 5_000, TimeUnit.MILLISECONDS);
    }

    @Override
    public String describe() {
        return "Kafka topic " + topic + " at " + bootstrapServers;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
