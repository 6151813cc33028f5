package dev.streamfleet.it.coordinator;

import dev.streamfleet.coordinator.RebalanceRecord;
import dev.streamfleet.coordinator.StaticUnitDiscovery;
import dev.streamfleet.coordinator.UnitSpec;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.internal.zk.FleetMember;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.deploy.localstack.EmbeddedZooKeeper;
import dev.streamfleet.it.LocalStackExtension;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The fleet on a 3-member ZooKeeper ensemble whose members fail. */
class CoordinatorEnsembleIT {

    @RegisterExtension
    static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withZooKeeper(3));

    @Test
    void losingOneEnsembleMemberCausesNoReassignmentStorm() {
        EmbeddedZooKeeper ensemble = SERVERS.stack().zookeeper();
        List<UnitSpec> specs = IntStream.range(0, 12).mapToObj(p -> UnitSpec.of(UnitId.kafka("orders", p))).toList();
        Set<UnitId> units = specs.stream().map(UnitSpec::id).collect(Collectors.toCollection(TreeSet::new));
        try (Fleet fleet = new Fleet(ensemble.endpoint(), new StaticUnitDiscovery(specs))) {
            for (int i = 0; i < 3; i++) {
                fleet.start();
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> fleet.balancedAndReading(units));
            Map<UnitId, WorkerId> before = owners(fleet.reading());
            long killed = System.nanoTime();
            java.time.Instant killedAt = java.time.Instant.now();

            ensemble.members().get(0).kill();

            // Clients of the killed member move to another one; a LeaderLatch may flap. None of that
            // may move a unit: every unit stays with, or returns to, its owner.
            await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(20))
                    .until(() -> fleet.balancedAndReading(units));
            assertThat(owners(fleet.reading())).isEqualTo(before);
            assertThat(fleet.monitor.acquisitionsSince(killed))
                    .allSatisfy(e -> assertThat(e.worker()).as("new reader of %s", e.unit()).isEqualTo(before.get(e.unit())));
            int movedAfterKill = fleet.members().stream().map(FleetMember::rebalances).flatMap(List::stream)
                    .filter(r -> r.at().isAfter(killedAt)).mapToInt(RebalanceRecord::moved).sum();
            assertThat(movedAfterKill).isZero();
            assertThat(fleet.monitor.overlaps()).isEmpty();

            ensemble.members().get(0).start();
        }
    }

    private static Map<UnitId, WorkerId> owners(Map<WorkerId, Set<UnitId>> reading) {
        Map<UnitId, WorkerId> owners = new HashMap<>();
        reading.forEach((worker, set) -> set.forEach(unit -> owners.put(unit, worker)));
        return owners;
    }
}
