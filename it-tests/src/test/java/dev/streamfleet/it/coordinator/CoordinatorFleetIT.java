package dev.streamfleet.it.coordinator;

import dev.streamfleet.coordinator.LoopbackProxy;
import dev.streamfleet.checkpoint.OwnershipLostException;
import dev.streamfleet.coordinator.RebalanceRecord;
import dev.streamfleet.coordinator.StaticUnitDiscovery;
import dev.streamfleet.coordinator.UnitSpec;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.internal.zk.FleetMember;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.it.LocalStackExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The coordination protocol with in-JVM workers on a real ZooKeeper server. Workers' unit work
 * is a stand-in that checkpoints under its lease's epoch and reports to an ownership monitor.
 */
class CoordinatorFleetIT {

    @RegisterExtension
    static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withZooKeeper(1));

    private static final Duration CONVERGE = Duration.ofSeconds(20);

    private static String zookeeper() {
        return SERVERS.stack().zookeeper().endpoint();
    }

    private static int zookeeperPort() {
        String endpoint = zookeeper();
        return Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
    }

    private static List<UnitSpec> kafkaUnits(int count) {
        return IntStream.range(0, count).mapToObj(p -> UnitSpec.of(UnitId.kafka("orders", p))).toList();
    }

    private static Set<UnitId> ids(List<UnitSpec> specs) {
        return specs.stream().map(UnitSpec::id).collect(Collectors.toCollection(TreeSet::new));
    }

    /** The fewest units that must move so that {@code workers} hold {@code held} within ±1. */
    private static int minimumMoves(Map<WorkerId, Set<UnitId>> held, int workers, int units) {
        List<Integer> counts = new ArrayList<>(held.values().stream().map(Set::size).toList());
        while (counts.size() < workers) {
            counts.add(0);
        }
        counts.sort((a, b) -> b - a);
        int base = units / workers;
        int extra = units % workers;
        int moves = 0;
        for (int i = 0; i < counts.size(); i++) {
            moves += Math.max(0, counts.get(i) - (base + (i < extra ? 1 : 0)));
        }
        return moves;
    }

    private static int moved(Map<UnitId, WorkerId> before, Map<UnitId, WorkerId> after) {
        return (int) before.entrySet().stream().filter(e -> !e.getValue().equals(after.get(e.getKey()))).count();
    }

    private static Map<UnitId, WorkerId> owners(Map<WorkerId, Set<UnitId>> reading) {
        Map<UnitId, WorkerId> owners = new HashMap<>();
        reading.forEach((worker, units) -> units.forEach(unit -> owners.put(unit, worker)));
        return owners;
    }

    @Test
    void eachJoinMovesNoMoreUnitsThanBalanceNeeds() {
        List<UnitSpec> specs = kafkaUnits(20);
        Set<UnitId> units = ids(specs);
        try (Fleet fleet = new Fleet(zookeeper(), new StaticUnitDiscovery(specs))) {
            fleet.start();
            await().atMost(CONVERGE).until(() -> fleet.balancedAndReading(units));
            for (int size = 2; size <= 5; size++) {
                Map<WorkerId, Set<UnitId>> before = fleet.reading();
                fleet.start();
                await().atMost(CONVERGE).until(() -> fleet.balancedAndReading(units));

                int expected = minimumMoves(before, size, units.size());
                assertThat(moved(owners(before), owners(fleet.reading())))
                        .as("units moved when worker %d joined", size).isEqualTo(expected);
            }
            assertThat(fleet.monitor.overlaps()).isEmpty();
        }
    }

    @Test
    void gracefulLeaveHandsUnitsOverReleaseBeforeAcquireWithoutDuplicates() {
        List<UnitSpec> specs = kafkaUnits(12);
        Set<UnitId> units = ids(specs);
        try (Fleet fleet = new Fleet(zookeeper(), new StaticUnitDiscovery(specs))) {
            for (int i = 0; i < 3; i++) {
                fleet.start();
            }
            await().atMost(CONVERGE).until(() -> fleet.balancedAndReading(units));
            FleetMember leaving = fleet.members().get(1);
            Set<UnitId> handedOver = fleet.reading().get(leaving.id());

            fleet.remove(leaving);
            leaving.close();
            await().atMost(CONVERGE).until(() -> fleet.balancedAndReading(units));

            assertThat(fleet.monitor.overlaps()).as("moments with two readers").isEmpty();
            FleetMember leader = fleet.members().stream().filter(FleetMember::isLeader).findFirst().orElseThrow();
            await().atMost(CONVERGE).until(() -> leader.rebalances().get(leader.rebalances().size() - 1).settled().isPresent());
            RebalanceRecord last = leader.rebalances().get(leader.rebalances().size() - 1);
            assertThat(last.moved()).isEqualTo(handedOver.size());
            assertThat(last.movedUnits()).containsExactlyInAnyOrderElementsOf(handedOver);
            assertThat(last.settled().get()).as("moves done").isLessThan(Duration.ofSeconds(5));
            for (UnitId unit : handedOver) {
                List<RecordingWork> runs = fleet.work.of(unit);
                RecordingWork previous = runs.get(runs.size() - 2);
                RecordingWork next = runs.get(runs.size() - 1);
                assertThat(next.context().claimed().position()).as("%s resumes after the final checkpoint", unit)
                        .contains(previous.position(previous.nextOffset()));
            }
        }
    }

    @Test
    void crashedWorkersUnitsAreHeldAgainWithinTheSessionTimeoutPlusOneSecond() throws Exception {
        List<UnitSpec> specs = kafkaUnits(12);
        Set<UnitId> units = ids(specs);
        try (LoopbackProxy link = new LoopbackProxy(zookeeperPort());
             Fleet fleet = new Fleet(zookeeper(), new StaticUnitDiscovery(specs))) {
            fleet.start();
            FleetMember victim = fleet.start(link.connectString());
            fleet.start();
            await().atMost(CONVERGE).until(() -> fleet.balancedAndReading(units));
            Set<UnitId> orphaned = fleet.reading().get(victim.id());

            long crashed = System.nanoTime();
            link.cut();
            await().atMost(CONVERGE).until(() -> {
                Map<WorkerId, Set<UnitId>> reading = fleet.reading();
                reading.remove(victim.id());
                return owners(reading).keySet().containsAll(orphaned);
            });
            Duration takeover = Duration.ofNanos(System.nanoTime() - crashed);

            assertThat(takeover).as("crash to all units held again").isLessThanOrEqualTo(
                    Fleet.SESSION_TIMEOUT.plusSeconds(1));
            assertThat(fleet.monitor.overlaps()).isEmpty();
            link.heal();
        }
    }

    @Test
    void zombieWhoseSessionExpiredCannotCheckpointAndStops() throws Exception {
        List<UnitSpec> specs = kafkaUnits(6);
        Set<UnitId> units = ids(specs);
        try (LoopbackProxy link = new LoopbackProxy(zookeeperPort());
             Fleet fleet = new Fleet(zookeeper(), new StaticUnitDiscovery(specs))) {
            fleet.start();
            FleetMember zombie = fleet.start(link.connectString());
            await().atMost(CONVERGE).until(() -> fleet.balancedAndReading(units));
            List<RecordingWork> zombieRuns = new ArrayList<>();
            fleet.reading().get(zombie.id()).forEach(unit -> zombieRuns.add(fleet.work.of(unit).get(fleet.work.of(unit).size() - 1)));
            assertThat(zombieRuns).isNotEmpty();

            link.cut();
            FleetMember survivor = fleet.members().get(0);
            await().atMost(CONVERGE).until(() -> fleet.reading().get(survivor.id()).containsAll(units));

            for (RecordingWork run : zombieRuns) {
                long wakeUpPosition = run.nextOffset() + 1_000;
                assertThatThrownBy(() -> run.context().store().checkpoint(run.context().unit(),
                        run.position(wakeUpPosition), run.context().epoch()))
                        .as("checkpoint of %s by the zombie", run.context().unit())
                        .isInstanceOf(OwnershipLostException.class);
            }

            link.heal();
            await().atMost(CONVERGE).until(() -> fleet.balancedAndReading(units) && !fleet.reading().get(zombie.id()).isEmpty());
            assertThat(zombieRuns).allSatisfy(run -> assertThat(run.isStopped()).isTrue());
            assertThat(fleet.monitor.overlaps()).isEmpty();
        }
    }

    @Test
    void newLeaderAfterALeaderCrashContinuesWithALargerGeneration() throws Exception {
        List<UnitSpec> specs = kafkaUnits(9);
        Set<UnitId> units = ids(specs);
        try (LoopbackProxy link = new LoopbackProxy(zookeeperPort());
             Fleet fleet = new Fleet(zookeeper(), new StaticUnitDiscovery(specs))) {
            FleetMember leader = fleet.start(link.connectString());
            await().atMost(CONVERGE).until(leader::isLeader);
            fleet.start();
            fleet.start();
            await().atMost(CONVERGE).until(() -> fleet.balancedAndReading(units));
            long lastGeneration = leader.rebalances().get(leader.rebalances().size() - 1).generation();

            link.cut();
            fleet.remove(leader);
            await().atMost(CONVERGE).until(() -> fleet.balancedAndReading(units));

            FleetMember successor = fleet.members().stream().filter(FleetMember::isLeader).findFirst().orElseThrow();
            List<RebalanceRecord> published = successor.rebalances();
            assertThat(published).isNotEmpty();
            assertThat(published.get(0).generation()).isGreaterThan(lastGeneration);
            assertThat(fleet.monitor.overlaps()).isEmpty();
            link.heal();
            leader.close();
        }
    }

    @Test
    void childShardIsNeverAssignedBeforeItsParentEnded() {
        UnitId parent = UnitId.kinesis("clicks", "shardId-000000000000");
        UnitId sibling = UnitId.kinesis("clicks", "shardId-000000000001");
        UnitId child = UnitId.kinesis("clicks", "shardId-000000000002");
        List<UnitSpec> specs = List.of(UnitSpec.of(parent), UnitSpec.of(sibling), UnitSpec.child(child, parent));
        try (Fleet fleet = new Fleet(zookeeper(), new StaticUnitDiscovery(specs))) {
            fleet.start();
            fleet.start();
            await().atMost(CONVERGE).until(() -> fleet.balancedAndReading(Set.of(parent, sibling)));
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                    .until(() -> fleet.monitor.acquisitionsOf(child) == 0);

            List<RecordingWork> parentRuns = fleet.work.of(parent);
            parentRuns.get(parentRuns.size() - 1).reachShardEnd();
            long ended = System.nanoTime();
            await().atMost(CONVERGE).until(() -> fleet.balancedAndReading(Set.of(sibling, child)));

            assertThat(fleet.monitor.events()).filteredOn(e -> e.unit().equals(child) && e.acquired())
                    .allSatisfy(e -> assertThat(e.nanos()).isGreaterThan(ended));
            assertThat(fleet.store.read(parent).orElseThrow().isEnded()).isTrue();
        }
    }

    @Test
    void aChildStartsWhenItsParentsRowSaysEndedThoughTheEndWasNeverReported() {
        UnitId parent = UnitId.kinesis("clicks", "shardId-000000000000");
        UnitId child = UnitId.kinesis("clicks", "shardId-000000000001");
        List<UnitSpec> specs = List.of(UnitSpec.of(parent), UnitSpec.child(child, parent));
        try (Fleet fleet = new Fleet(zookeeper(), new StaticUnitDiscovery(specs))) {
            fleet.start();
            await().atMost(CONVERGE).until(() -> fleet.balancedAndReading(Set.of(parent)));

            List<RecordingWork> parentRuns = fleet.work.of(parent);
            parentRuns.get(parentRuns.size() - 1).reachShardEndUnreported();
            // Nothing else changes in the fleet: only the leader's own look at the rows can start the child.
            await().atMost(CONVERGE).until(() -> fleet.monitor.acquisitionsOf(child) > 0);

            assertThat(fleet.store.read(parent).orElseThrow().isEnded()).isTrue();
        }
    }

    @Test
    void fleetReaderShowsTheLeaderTheWorkersAndWhoHoldsWhat() {
        List<UnitSpec> specs = kafkaUnits(6);
        Set<UnitId> units = ids(specs);
        try (Fleet fleet = new Fleet(zookeeper(), new StaticUnitDiscovery(specs));
             dev.streamfleet.coordinator.internal.zk.FleetReader reader =
                     dev.streamfleet.coordinator.internal.zk.FleetReader.connect(zookeeper(), Duration.ofSeconds(5))) {
            fleet.start();
            fleet.start();
            await().atMost(CONVERGE).until(() -> fleet.balancedAndReading(units));

            dev.streamfleet.coordinator.internal.zk.FleetSnapshot snapshot = reader.read(fleet.application);

            WorkerId leader = fleet.members().stream().filter(FleetMember::isLeader).findFirst().orElseThrow().id();
            assertThat(snapshot.leader()).contains(leader);
            assertThat(snapshot.workers()).extracting(w -> w.id().value()).containsExactly("w1", "w2");
            assertThat(snapshot.leaseHolders()).isEqualTo(owners(fleet.reading()));
            assertThat(snapshot.generation()).isPositive();
        }
    }

    @Test
    void securedFleetsZnodesCannotBeReadWithoutItsCredentialsWhileOtherFleetsStillWork() throws Exception {
        dev.streamfleet.coordinator.ZooKeeperCredentials credentials =
                new dev.streamfleet.coordinator.ZooKeeperCredentials("orders", "s3cret");
        List<UnitSpec> specs = kafkaUnits(4);
        try (Fleet secured = new Fleet(zookeeper(), new StaticUnitDiscovery(specs)).secured(credentials);
             Fleet open = new Fleet(zookeeper(), new StaticUnitDiscovery(specs))) {
            secured.start();
            open.start();
            await().atMost(CONVERGE).until(() -> secured.balancedAndReading(ids(specs)) && open.balancedAndReading(ids(specs)));

            try (org.apache.curator.framework.CuratorFramework stranger = org.apache.curator.framework.CuratorFrameworkFactory
                    .newClient(zookeeper(), new org.apache.curator.retry.RetryOneTime(100))) {
                stranger.start();
                assertThatThrownBy(() -> stranger.getData().forPath("/streamfleet/" + secured.application + "/workers/w1"))
                        .isInstanceOf(org.apache.zookeeper.KeeperException.NoAuthException.class);
                assertThat(stranger.getData().forPath("/streamfleet/" + open.application + "/workers/w1")).isNotEmpty();
            }
            try (dev.streamfleet.coordinator.internal.zk.FleetReader reader = dev.streamfleet.coordinator.internal.zk.FleetReader.connect(
                    zookeeper(), Duration.ofSeconds(5), java.util.Optional.of(credentials))) {
                assertThat(reader.read(secured.application).leaseHolders()).hasSize(4);
            }
        }
    }

    @Test
    void tenWorkersStartingAtOnceConvergeWithAHandfulOfRebalances() throws Exception {
        List<UnitSpec> specs = kafkaUnits(30);
        Set<UnitId> units = ids(specs);
        ExecutorService starters = Executors.newFixedThreadPool(10);
        try (Fleet fleet = new Fleet(zookeeper(), new StaticUnitDiscovery(specs))) {
            List<Future<FleetMember>> starting = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                starting.add(starters.submit(() -> fleet.start()));
            }
            for (Future<FleetMember> member : starting) {
                member.get(30, TimeUnit.SECONDS);
            }
            await().atMost(CONVERGE).until(() -> fleet.balancedAndReading(units));

            int published = fleet.members().stream().mapToInt(m -> m.rebalances().size()).sum();
            assertThat(published).as("assignments published while ten workers started").isBetween(1, 4);
            assertThat(fleet.monitor.overlaps()).isEmpty();
        } finally {
            starters.shutdownNow();
        }
    }
}
