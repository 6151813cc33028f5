package dev.streamfleet.it.worker;

import dev.streamfleet.coordinator.RebalanceRecord;
import dev.streamfleet.coordinator.UnitLoad;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.it.LocalStackExtension;
import dev.streamfleet.worker.RecordProcessor;
import dev.streamfleet.worker.internal.runtime.StreamWorker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

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

    private static RunningKafkaWorker start(String application, String topic, String name) {
        RecordProcessor twoMillisPerRecord = (batch, checkpointer) -> Thread.sleep(2L * batch.records().size());
        return RunningKafkaWorker.start(SERVERS.stack().zookeeper().endpoint(), SERVERS.stack().kafka().endpoint(),
                application, topic, name, twoMillisPerRecord, Duration.ofSeconds(5));
    }

    @Test
    void aHotPartitionGetsAWorkerToItselfWithinTwoLoadRebalancesAndThenNothingMoves() throws Exception {
        String topic = TestTopics.create(SERVERS.stack().kafka().endpoint(), "skewed", PARTITIONS);
        String application = "balance-" + UUID.randomUUID().toString().substring(0, 8);
        UnitId hot = UnitId.kafka(topic, 0);
        List<RunningKafkaWorker> fleet = new ArrayList<>();
        // 20 records/s on every partition, 200 on partition 0.
        try (PacedKafkaLoad load = new PacedKafkaLoad(SERVERS.stack().kafka().endpoint(), topic, PARTITIONS,
                (partition, second) -> partition == 0 ? 200.0 : 20.0)) {
            for (String name : List.of("w1", "w2", "w3", "w4")) {
                fleet.add(start(application, topic, name));
            }
            StreamWorker leader = await().atMost(Duration.ofSeconds(30)).until(
                    () -> fleet.stream().map(RunningKafkaWorker::worker).filter(w -> !w.rebalances().isEmpty()).findFirst().orElse(null),
                    w -> w != null);

            // Balanced when the hot partition's worker carries little else and the others are level.
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(() -> FleetLoads.balanced(fleet, hot, PARTITIONS));
            List<RebalanceRecord> forLoad = leader.rebalances().stream().filter(r -> r.reason().contains("load:")).toList();
            assertThat(forLoad).as("rebalances for load").hasSizeBetween(1, 2);

            int generations = leader.rebalances().size();
            Thread.sleep(40_000);
            assertThat(leader.rebalances()).as("rebalances after the loads converged: %s", leader.rebalances())
                    .hasSize(generations);
            assertThat(FleetLoads.balanced(fleet, hot, PARTITIONS)).as("still balanced: %s", FleetLoads.byWorker(fleet)).isTrue();
        } finally {
            fleet.forEach(RunningKafkaWorker::close);
        }
    }
}
