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
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Dead letters into a Kafka topic, keyed by the record's partition key, acknowledged by all in-sync replicas. */
public final class KafkaDeadLetterSink implements DeadLetterSink {

    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);

    private final String topic;
    private final String bootstrapServers;
    private final KafkaProducer<byte[], byte[]> producer;

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
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(ACK_TIMEOUT.toMillis()));
        this.producer = new KafkaProducer<>(props);
    }

    @Override
    public void send(FailedRecord record) throws Exception {
        producer.send(new ProducerRecord<>(topic, record.record().key(),
                record.toJson())).get(ACK_TIMEOUT.toMillis() + 5_000, TimeUnit.MILLISECONDS);
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
