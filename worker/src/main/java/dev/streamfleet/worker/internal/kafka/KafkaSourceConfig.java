package dev.streamfleet.worker.internal.kafka;

import dev.streamfleet.core.Position;

import java.util.Map;
import java.util.Objects;

/**
 * How the partitions of one Kafka topic are read.
 *
 * @param topic            the topic
 * @param bootstrapServers the cluster
 * @param initialPosition  where a partition without a checkpoint starts: TRIM_HORIZON (earliest), LATEST or AT_TIMESTAMP
 * @param clientProperties extra consumer properties (security, timeouts); streamfleet sets the ones it relies on
 */
public record KafkaSourceConfig(String topic, String bootstrapServers, Position initialPosition,
                                Map<String, String> clientProperties) {

    public KafkaSourceConfig {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(initialPosition, "initialPosition");
        clientProperties = Map.copyOf(clientProperties);
        if (initialPosition.isRecordPosition()) {
            throw new IllegalArgumentException("the initial position must be TRIM_HORIZON, LATEST or AT_TIMESTAMP");
        }
    }

    public static KafkaSourceConfig of(String topic, String bootstrapServers, Position initialPosition) {
        return new KafkaSourceConfig(topic, bootstrapServers, initialPosition, Map.of());
    }
}
