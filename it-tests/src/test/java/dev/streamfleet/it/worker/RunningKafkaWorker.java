package dev.streamfleet.it.worker;

import dev.streamfleet.checkpoint.internal.memory.InMemoryCheckpointTable;
import dev.streamfleet.coordinator.CoordinatorConfig;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.SourceKind;
import dev.streamfleet.worker.RecordProcessor;
import dev.streamfleet.worker.SourceBinding;
import dev.streamfleet.worker.internal.runtime.StreamWorker;
import dev.streamfleet.worker.internal.runtime.WorkerSettings;
import dev.streamfleet.worker.internal.kafka.KafkaConsumerThread;
import dev.streamfleet.worker.internal.kafka.KafkaDiscovery;
import dev.streamfleet.worker.internal.kafka.KafkaSourceConfig;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A worker reading Kafka in the test JVM, with the consumer thread and the discovery it was started with; closes all three. */
public record RunningKafkaWorker(StreamWorker worker, KafkaConsumerThread consumer, KafkaDiscovery discovery)
        implements AutoCloseable {

    /**
     * A worker of {@code application} on every partition of {@code topic} from where it stands
     * (checkpoints in memory, a 4 s session), whose leader looks for new units and changed loads
     * every {@code discoveryInterval}.
     */
    public static RunningKafkaWorker start(String zookeeper, String bootstrap, String application, String topic, String name,
                                           RecordProcessor processor, Duration discoveryInterval) {
        KafkaConsumerThread consumer = new KafkaConsumerThread(bootstrap, Map.of(), name);
        KafkaDiscovery discovery = new KafkaDiscovery(KafkaSourceConfig.of(topic, bootstrap, Position.LATEST));
        StreamWorker worker = StreamWorker.start(
                CoordinatorConfig.of(application, zookeeper).withSessionTimeout(Duration.ofSeconds(4))
                        .withDiscoveryInterval(discoveryInterval),
                new WorkerInfo(WorkerId.of(name), "localhost", "", Instant.now(), "test", 1),
                new InMemoryCheckpointTable().store(application),
                List.of(new SourceBinding(SourceKind.KAFKA, topic, discovery, consumer.topic(Position.LATEST))),
                unit -> processor, WorkerSettings.defaults());
        return new RunningKafkaWorker(worker, consumer, discovery);
    }

    @Override
    public void close() {
        worker.close();
        consumer.close();
        discovery.close();
    }
}
