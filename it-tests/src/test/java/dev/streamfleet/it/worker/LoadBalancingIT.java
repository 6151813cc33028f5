package dev.streamfleet.it.worker;

import dev.streamfleet.checkpoint.memory.InMemoryCheckpointTable;
import dev.streamfleet.coordinator.CoordinatorConfig;
import dev.streamfleet.coordinator.RebalanceRecord;
import dev.streamfleet.coordinator.UnitLoad;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.SourceKind;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.it.LocalStackExtension;
import dev.streamfleet.worker.RecordProcessor;
import dev.streamfleet.worker.SourceBinding;
import dev.streamfleet.worker.StreamWorker;
import dev.streamfleet.worker.WorkerSettings;
import dev.streamfleet.worker.kafka.KafkaConsumerThread;
import dev.streamfleet.worker.kafka.KafkaDiscovery;
import dev.streamfleet.worker.kafka.KafkaSourceConfig;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Four workers on 16 Kafka partitions, one of which carries ten times the others' records, with
 * a processor that spends 2 ms per record: the workers measure their units' loads, publish them,
 * and the leader moves units for load until the loads are within the band, then leaves them be.
 * Real ZooKeeper and Kafka broker; the workers run in this JVM so that the test can read their
 * measurements and the leader's record of every rebalance.
 */
class LoadBalancingIT {

    @RegisterExtension
    static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withZooKeeper(1).withKafka());

    private static final int PARTITIONS = 16;

    private record Running(StreamWorker worker, KafkaConsumerThread consumer, KafkaDiscovery discovery) implements AutoCloseable {
        @Override
        public void close() {
            worker.close();
            consumer.close();
            discovery.close();
        }
    }

    /** 20 records/s on every partition, 200 on partition 0, until closed. */
    private static final class SkewedLoad implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        SkewedLoad(String topic) {
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SERVERS.stack().kafka().endpoint());
            props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            thread = new Thread(() -> {
                try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
                    long next = System.nanoTime();
                    long sent = 0;
                    while (running.get()) {
                        for (int partition = 0; partition < PARTITIONS; partition++) {
                            for (int i = 0; i < (partition == 0 ? 10 : 1); i++) {
                                producer.send(new ProducerRecord<>(topic, partition, "k" + (sent % 100), "r" + sent++));
                            }
                        }
                        next += 50_000_000L;
                        long wait = next - System.nanoTime();
                        if (wait > 0) {
                            java.util.concurrent.locks.LockSupport.parkNanos(wait);
                        }
                    }
                }
            }, "skewed-load");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }
    }

    private static Running start(String application, String topic, String name) {
        String bootstrap = SERVERS.stack().kafka().endpoint();
        KafkaConsumerThread consumer = new KafkaConsumerThread(bootstrap, Map.of(), name);
        KafkaDiscovery discovery = new KafkaDiscovery(KafkaSourceConfig.of(topic, bootstrap, Position.LATEST));
        RecordProcessor twoMillisPerRecord = (batch, checkpointer) -> Thread.sleep(2L * batch.records().size());
        StreamWorker worker = StreamWorker.start(
                CoordinatorConfig.of(application, SERVERS.stack().zookeeper().endpoint())
                        .withSessionTimeout(Duration.ofSeconds(4)).withDiscoveryInterval(Duration.ofSeconds(5)),
                new WorkerInfo(WorkerId.of(name), "localhost", "", Instant.now(), "test", 1),
                new InMemoryCheckpointTable().store(application),
                List.of(new SourceBinding(SourceKind.KAFKA, topic, discovery, consumer.topic(Position.LATEST))),
                unit -> twoMillisPerRecord, WorkerSettings.defaults());
        return new Running(worker, consumer, discovery);
    }

    @Test
    void aHotPartitionGetsAWorkerToItselfWithinTwoLoadRebalancesAndThenNothingMoves() throws Exception {
        String topic = TestTopics.create(SERVERS.stack().kafka().endpoint(), "skewed", PARTITIONS);
        String application = "balance-" + UUID.randomUUID().toString().substring(0, 8);
        UnitId hot = UnitId.kafka(topic, 0);
        List<Running> fleet = new ArrayList<>();
        try (SkewedLoad load = new SkewedLoad(topic)) {
            for (String name : List.of("w1", "w2", "w3", "w4")) {
                fleet.add(start(application, topic, name));
            }
            StreamWorker leader = await().atMost(Duration.ofSeconds(30)).until(
                    () -> fleet.stream().map(Running::worker).filter(w -> !w.rebalances().isEmpty()).findFirst().orElse(null),
                    w -> w != null);

            // Balanced when the hot partition's worker carries little else and the others are level.
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(() -> balanced(fleet, hot));
            List<RebalanceRecord> forLoad = leader.rebalances().stream().filter(r -> r.reason().contains("load:")).toList();
            assertThat(forLoad).as("rebalances for load").hasSizeBetween(1, 2);

            int generations = leader.rebalances().size();
            Thread.sleep(40_000);
            assertThat(leader.rebalances()).as("rebalances after the loads converged: %s", leader.rebalances())
                    .hasSize(generations);
            assertThat(balanced(fleet, hot)).as("still balanced: %s", loads(fleet)).isTrue();
        } finally {
            fleet.forEach(Running::close);
        }
    }

    /** Each worker's measured load, by the units it holds now. */
    private static Map<String, Double> loads(List<Running> fleet) {
        Map<String, Double> loads = new HashMap<>();
        for (Running running : fleet) {
            double sum = running.worker().loads().values().stream().mapToDouble(UnitLoad::load).sum();
            loads.put(running.worker().id().value() + running.worker().loads().keySet(), sum);
        }
        return loads;
    }

    private static boolean balanced(List<Running> fleet, UnitId hot) {
        Map<UnitId, Double> unitLoads = new HashMap<>();
        fleet.forEach(r -> r.worker().loads().forEach((unit, load) -> unitLoads.put(unit, load.load())));
        if (unitLoads.size() < PARTITIONS || !unitLoads.containsKey(hot)) {
            return false;
        }
        double hotLoad = unitLoads.get(hot);
        List<Double> others = new ArrayList<>();
        for (Running running : fleet) {
            double sum = running.worker().loads().values().stream().mapToDouble(UnitLoad::load).sum();
            if (running.worker().loads().containsKey(hot)) {
                if (sum > 1.25 * hotLoad) {
                    return false;
                }
            } else {
                others.add(sum);
            }
        }
        double mean = others.stream().mapToDouble(Double::doubleValue).average().orElse(0);
        return others.size() == 3 && others.stream().allMatch(l -> l <= 1.25 * mean && l >= 0.75 * mean);
    }
}
