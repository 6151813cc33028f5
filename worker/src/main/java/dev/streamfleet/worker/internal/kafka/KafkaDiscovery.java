package dev.streamfleet.worker.internal.kafka;

import dev.streamfleet.coordinator.CoordinatorException;
import dev.streamfleet.coordinator.UnitDiscovery;
import dev.streamfleet.coordinator.UnitSpec;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/** The partitions of one Kafka topic; new partitions become units at the next discovery. */
public final class KafkaDiscovery implements UnitDiscovery, AutoCloseable {

    private static final long TIMEOUT_SECONDS = 10;

    private final KafkaSourceConfig config;
    private final Admin admin;

    public KafkaDiscovery(KafkaSourceConfig config) {
        this.config = config;
        Properties props = new Properties();
        props.putAll(config.clientProperties());
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS)));
        props.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS)));
        this.admin = Admin.create(props);
    }

    @Override
    public List<UnitSpec> discover() {
        try {
            TopicDescription topic = admin.describeTopics(List.of(config.topic())).allTopicNames()
                    .get(TIMEOUT_SECONDS, TimeUnit.SECONDS).get(config.topic());
            List<UnitSpec> units = new ArrayList<>();
            topic.partitions().forEach(p -> units.add(UnitSpec.of(UnitId.kafka(config.topic(), p.partition()))));
            return units;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                throw new CoordinatorException("Kafka topic " + config.topic() + " does not exist on "
                        + config.bootstrapServers(), e.getCause());
            }
            throw new CoordinatorException("describing Kafka topic " + config.topic() + " failed: " + e.getCause(), e);
        } catch (TimeoutException e) {
            throw new CoordinatorException("Kafka at " + config.bootstrapServers() + " did not answer within "
                    + TIMEOUT_SECONDS + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CoordinatorException("interrupted while describing Kafka topic " + config.topic(), e);
        }
    }

    /**
     * LATEST becomes the partition's end offset now, stored as the unit's start: every owner then
     * reads from there, and what is written while the unit changes hands before its first
     * checkpoint is not skipped.
     */
    @Override
    public Optional<Position> firstStart(UnitId unit) {
        if (!(config.initialPosition() instanceof Position.Latest)) {
            return Optional.empty();
        }
        TopicPartition partition = new TopicPartition(config.topic(), Integer.parseInt(unit.shard()));
        try {
            long end = admin.listOffsets(Map.of(partition, OffsetSpec.latest())).partitionResult(partition)
                    .get(TIMEOUT_SECONDS, TimeUnit.SECONDS).offset();
            return Optional.of(new Position.Offset(end));
        } catch (ExecutionException e) {
            throw new CoordinatorException("reading the end offset of " + unit + " failed: " + e.getCause(), e);
        } catch (TimeoutException e) {
            throw new CoordinatorException("Kafka at " + config.bootstrapServers() + " did not answer within "
                    + TIMEOUT_SECONDS + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CoordinatorException("interrupted while reading the end offset of " + unit, e);
        }
    }

    @Override
    public void close() {
        admin.close();
    }
}
