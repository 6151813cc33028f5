package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.internal.memory.InMemoryCheckpointTable;
import dev.streamfleet.coordinator.CoordinatorConfig;
import dev.streamfleet.coordinator.CoordinatorException;
import dev.streamfleet.coordinator.RevokeReason;
import dev.streamfleet.coordinator.StaticUnitDiscovery;
import dev.streamfleet.coordinator.UnitSpec;
import dev.streamfleet.coordinator.UnitState;
import dev.streamfleet.coordinator.UnitWork;
import dev.streamfleet.coordinator.UnitWorkFactory;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Znodes that another version, a tool or an operator wrote, read by the real adapter on a real
 * ZooKeeper server: a node that does not parse is skipped (or, for an assignment, ignored), with
 * a WARN and a count, and never stops the fleet around it.
 */
class UntrustedZnodesTest {

    private static final Duration SETTLE = Duration.ofSeconds(20);
    private static LocalZooKeeper zookeeper;

    private final String application = "app-" + UUID.randomUUID().toString().substring(0, 8);
    private final ZkPaths paths = new ZkPaths(application);
    private final CheckpointStore store = new InMemoryCheckpointTable().store(application);
    private final List<UnitId> units = IntStream.range(0, 4).mapToObj(p -> UnitId.kafka("orders", p)).toList();
    private final StaticUnitDiscovery discovery = new StaticUnitDiscovery(units.stream().map(UnitSpec::of).toList());
    private final Map<WorkerId, Set<UnitId>> reading = new ConcurrentHashMap<>();
    private final List<String> revoked = java.util.Collections.synchronizedList(new ArrayList<>());
    private final List<FleetMember> members = new ArrayList<>();

    @BeforeAll
    static void startServer() throws Exception {
        zookeeper = new LocalZooKeeper();
    }

    @AfterAll
    static void stopServer() throws Exception {
        zookeeper.close();
    }

    @AfterEach
    void stopMembers() {
        members.forEach(FleetMember::close);
    }

    private FleetMember join(String id) {
        return join(id, zookeeper.connect());
    }

    private FleetMember join(String id, String connect) {
        WorkerId worker = WorkerId.of(id);
        reading.put(worker, ConcurrentHashMap.newKeySet());
        UnitWorkFactory factory = context -> {
            reading.get(worker).add(context.unit());
            return new UnitWork() {
                @Override
                public void pause() {
                }

                @Override
                public void resume() {
                }

                @Override
                public CompletionStage<Boolean> revoke(Duration timeout, RevokeReason reason) {
                    revoked.add(id + " " + context.unit());
                    reading.get(worker).remove(context.unit());
                    return CompletableFuture.completedFuture(true);
                }

                @Override
                public CompletionStage<Void> abandon(String reason) {
                    reading.get(worker).remove(context.unit());
                    return CompletableFuture.completedFuture(null);
                }
            };
        };
        CoordinatorConfig config = CoordinatorConfig.of(application, connect).withSessionTimeout(Duration.ofSeconds(4))
                .withDiscoveryInterval(Duration.ofMillis(300));
        FleetMember member = FleetMember.start(config, new WorkerInfo(worker, "localhost", "", Instant.now(), "test", 1),
                discovery, store, factory);
        members.add(member);
        return member;
    }

    private Set<UnitId> readingOn(FleetMember member) {
        Set<UnitId> held = new HashSet<>();
        member.units().forEach((unit, state) -> {
            if (state == UnitState.READING) {
                held.add(unit);
            }
        });
        return held;
    }

    private Set<UnitId> readingAnywhere() {
        Set<UnitId> all = new HashSet<>();
        members.forEach(member -> all.addAll(readingOn(member)));
        return all;
    }

    /** A child under {@code folder} whose name is neither a worker id nor a unit id, as another version might name it. */
    private void writeBadlyNamedChild(String folder) throws Exception {
        switch (folder) {
            case "workers" -> zookeeper.write(paths.workers() + "/not a worker id!", ZkJson.worker(new WorkerInfo(
                    WorkerId.of("x"), "h", "", Instant.now(), "9.9", 1)));
            case "loads" -> zookeeper.write(paths.loads() + "/worker~with~tildes", "{\"units\":{}}");
            case "ended" -> zookeeper.write(paths.ended() + "/not-a-unit", "");
            default -> throw new IllegalArgumentException(folder);
        }
    }

    @ParameterizedTest(name = "a bad name under {0}/")
    @ValueSource(strings = {"workers", "loads", "ended"})
    void aChildNameThatDoesNotParseIsSkippedAndTheRestOfTheFleetIsRebalanced(String folder) throws Exception {
        writeBadlyNamedChild(folder);

        FleetMember first = join("w1");
        FleetMember second = join("w2");
        await().atMost(SETTLE).untilAsserted(() -> {
            assertThat(readingAnywhere()).containsExactlyInAnyOrderElementsOf(units);
            assertThat(readingOn(first)).isNotEmpty();
            assertThat(readingOn(second)).isNotEmpty();
        });

        second.close();

        await().atMost(SETTLE).untilAsserted(() -> assertThat(readingOn(first)).containsExactlyInAnyOrderElementsOf(units));
        assertThat(first.skippedNodes() + second.skippedNodes()).as("the bad node counted").isPositive();
    }

    @Test
    void aRegistrationWhoseBodyDoesNotParseStillCountsAsALiveWorkerOfCapacityOne() throws Exception {
        FleetMember first = join("w1");
        await().atMost(SETTLE).until(() -> readingOn(first).size() == units.size());

        // A newer worker whose registration this version cannot read: it is alive (a session holds its ephemeral
        // node), so it gets units.
        zookeeper.writeEphemeral(paths.worker(WorkerId.of("w9")), "{\"id\":\"w9\",\"registration\":2}");
        await().atMost(SETTLE).untilAsserted(() -> assertThat(zookeeper.exists(paths.assignment(WorkerId.of("w9"))))
                .isTrue());
        assertThat(first.skippedNodes()).isPositive();
    }

    @Test
    void anAssignmentThatDoesNotParseIsIgnoredAndTheWorkerKeepsItsUnits() throws Exception {
        FleetMember worker = join("w1");
        await().atMost(SETTLE).until(() -> readingOn(worker).size() == units.size());

        for (String bad : new String[] {"{}", "", "{\"generation\":9,\"units\":\"kafka/orders/0\"}",
                "{\"units\":[]}"}) {
            zookeeper.write(paths.assignment(worker.id()), bad);
            Thread.sleep(700);
            assertThat(readingOn(worker)).as("after %s", bad).containsExactlyInAnyOrderElementsOf(units);
        }
        assertThat(revoked).as("nothing revoked").isEmpty();
        assertThat(worker.skippedNodes()).as("one bad node, counted until it reads fine").isPositive();

        // The next readable assignment is followed: the leader writes one over the bad node.
        await().atMost(SETTLE).untilAsserted(() -> assertThat(ZkJson.assignment(
                zookeeper.read(paths.assignment(worker.id())).getBytes(java.nio.charset.StandardCharsets.UTF_8)).units())
                .containsExactlyInAnyOrderElementsOf(units));
        assertThat(revoked).isEmpty();
    }

    @Test
    void aGenerationThatDoesNotParseDoesNotStopTheLeaderFromPublishing() throws Exception {
        FleetMember first = join("w1");
        await().atMost(SETTLE).until(() -> readingOn(first).size() == units.size());

        zookeeper.write(paths.generation(), "twelve");
        FleetMember second = join("w2");

        await().atMost(SETTLE).until(() -> !readingOn(second).isEmpty());
        assertThat(Long.parseLong(zookeeper.read(paths.generation()))).isPositive();
    }

    @Test
    void theFleetReaderShowsWhatItCouldReadAndSaysWhatItSkipped() throws Exception {
        WorkerInfo good = new WorkerInfo(WorkerId.of("w1"), "h1", "http://127.0.0.1:1", Instant.now(), "1.0", 1);
        zookeeper.write(paths.worker(good.id()), ZkJson.worker(good));
        zookeeper.write(paths.workers() + "/w 2", ZkJson.worker(good));
        zookeeper.write(paths.worker(WorkerId.of("w3")), "garbage");
        zookeeper.write(paths.worker(WorkerId.of("w4")), "{\"id\":\"w4\",\"host\":\"h4\",\"statusUrl\":\"not a url\","
                + "\"startedAt\":\"2026-12-01T10:00:00Z\",\"version\":\"1.0\",\"capacity\":1}");
        zookeeper.write(paths.assignment(good.id()), ZkJson.assignment(3, new TreeSet<>(List.of(units.get(0)))));
        zookeeper.write(paths.assignment(WorkerId.of("w3")), "{}");
        zookeeper.write(paths.assignments() + "/not a worker", ZkJson.assignment(3, new TreeSet<>()));
        zookeeper.write(paths.lease(units.get(0)), ZkJson.lease(good.id(), 3));
        zookeeper.write(paths.lease(units.get(1)), "garbage");
        zookeeper.write(paths.leases() + "/not-a-unit", ZkJson.lease(good.id(), 3));
        zookeeper.write(paths.generation(), "twelve");

        FleetSnapshot snapshot;
        try (FleetReader reader = FleetReader.connect(zookeeper.connect(), Duration.ofSeconds(5))) {
            snapshot = reader.read(application);
        }

        assertThat(snapshot.workers()).extracting(WorkerInfo::id).containsExactly(good.id(), WorkerId.of("w4"));
        assertThat(snapshot.workers().get(1).statusUrl()).as("a bad status URL is never used").isEmpty();
        assertThat(snapshot.assignments()).containsOnlyKeys(good.id());
        assertThat(snapshot.leaseHolders()).containsExactly(Map.entry(units.get(0), good.id()));
        assertThat(snapshot.skipped()).extracting(FleetSnapshot.Skipped::node).containsExactlyInAnyOrder(
                paths.workers() + "/w 2", paths.worker(WorkerId.of("w3")), paths.worker(WorkerId.of("w4")),
                paths.assignment(WorkerId.of("w3")), paths.assignments() + "/not a worker", paths.lease(units.get(1)),
                paths.leases() + "/not-a-unit", paths.generation());
        assertThat(snapshot.skipped()).filteredOn(skipped -> skipped.worker().equals(java.util.Optional.of(WorkerId.of("w4"))))
                .singleElement().satisfies(skipped -> assertThat(skipped.reason()).contains("not a url"));
    }

    @Test
    void aFencingDomainThatDoesNotParseFailsTheJoinWithOneLineNamingTheNodeAndTheValue() throws Exception {
        try (LocalZooKeeper own = new LocalZooKeeper()) {
            own.write(ZkPaths.FENCING_DOMAIN, "zk 12/34");

            assertThatThrownBy(() -> join("w1", own.connect())).isInstanceOf(CoordinatorException.class)
                    .hasMessageContaining(ZkPaths.FENCING_DOMAIN).hasMessageContaining("'zk 12/34'")
                    .hasMessageNotContaining("\n");
            try (FleetReader reader = FleetReader.connect(own.connect(), Duration.ofSeconds(5))) {
                assertThatThrownBy(reader::fencingDomain).isInstanceOf(CoordinatorException.class)
                        .hasMessageContaining(ZkPaths.FENCING_DOMAIN).hasMessageContaining("'zk 12/34'");
            }
        }
    }
}
