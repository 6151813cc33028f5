package dev.streamfleet.it.coordinator;

import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.internal.memory.InMemoryCheckpointTable;
import dev.streamfleet.coordinator.CoordinatorConfig;
import dev.streamfleet.coordinator.RevokeReason;
import dev.streamfleet.coordinator.StaticUnitDiscovery;
import dev.streamfleet.coordinator.UnitContext;
import dev.streamfleet.coordinator.UnitSpec;
import dev.streamfleet.coordinator.UnitState;
import dev.streamfleet.coordinator.UnitWork;
import dev.streamfleet.coordinator.UnitWorkFactory;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.coordinator.internal.zk.FleetMember;
import dev.streamfleet.core.UnitId;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A worker whose ZooKeeper follower is cut off from the ensemble's leader, on a real 3-member
 * ensemble. The follower keeps answering its clients from its own copy until it notices, after
 * syncLimit × tickTime (5 s here); the leader expires the worker's session after 2 s and the unit
 * goes to another worker. The cut worker must process nothing once the new owner's lease exists.
 *
 * <p>How the follower is cut and not its clients: see {@link FollowerCutEnsemble}.
 */
class FollowerPartitionIT {

    private static final int TICK_MILLIS = 1_000;
    private static final int SYNC_LIMIT = 5;
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration BOUND = Duration.ofSeconds(30);
    private static final UnitId UNIT = UnitId.kafka("orders", 0);

    @TempDir
    Path dir;

    @Test
    void workerWhoseFollowerLostTheLeaderProcessesNothingOnceTheNewOwnersLeaseExists() throws Exception {
        String application = "partition-" + UUID.randomUUID().toString().substring(0, 8);
        CheckpointStore store = new InMemoryCheckpointTable().store(application);
        ScheduledExecutorService ticker = Executors.newScheduledThreadPool(2);
        Ticks ticks = new Ticks(ticker);
        List<FleetMember> members = new ArrayList<>();
        try (FollowerCutEnsemble ensemble = new FollowerCutEnsemble(dir, TICK_MILLIS, SYNC_LIMIT)) {
            try {
                await().atMost(BOUND).ignoreExceptions().until(() -> ensemble.followerMode().equals("follower"));
                FleetMember cut = member(application, ensemble.follower(), "w1", store, ticks);
                members.add(cut);
                await().atMost(BOUND).until(() -> cut.units().get(UNIT) == UnitState.READING && ticks.of("w1").size() > 5);
                FleetMember next = member(application, ensemble.others(), "w2", store, ticks);
                members.add(next);
                // An idle worker: nothing of its own in flight when the cut comes (a write would hold back
                // the follower's answers to everything after it, pings included, and so reveal the cut).
                await().atMost(BOUND).until(() -> cut.rebalances().stream().anyMatch(r -> r.workers() == 2));
                assertThat(ensemble.followerMode()).as("member 1, the cut worker's server").isEqualTo("follower");

                ensemble.cut();
                await().atMost(BOUND).until(() -> next.units().get(UNIT) == UnitState.READING);
                assertThat(ensemble.followerMode()).as("member 1 when the new owner reads: still serving its stale copy")
                        .isEqualTo("follower");
                // Dropped: LOST, gone, or (once member 1 has rejoined the leader) waiting for the new owner's lease.
                await().atMost(BOUND).untilAsserted(() -> assertThat(cut.units().getOrDefault(UNIT, UnitState.LOST))
                        .as("the cut worker's unit").isIn(UnitState.LOST, UnitState.CLAIMING));

                long leaseCreated = leaseCreated(ensemble.others(), application);
                List<Long> late = ticks.of("w1").stream().filter(at -> at >= leaseCreated).toList();
                assertThat(ticks.of("w2")).as("the new owner processes").isNotEmpty();
                assertThat(late).as("batches the cut worker started after the new owner's lease was created at %d",
                        leaseCreated).isEmpty();
            } finally {
                members.forEach(FleetMember::close);
            }
        } finally {
            ticker.shutdownNow();
        }
    }

    private static FleetMember member(String application, String connect, String id, CheckpointStore store,
                                      UnitWorkFactory work) {
        CoordinatorConfig config = CoordinatorConfig.of(application, connect).withSessionTimeout(SESSION_TIMEOUT)
                .withDiscoveryInterval(Duration.ofMillis(500));
        return FleetMember.start(config, new WorkerInfo(WorkerId.of(id), "localhost", "", Instant.now(), "test", 1),
                new StaticUnitDiscovery(List.of(UnitSpec.of(UNIT))), store, work);
    }

    /** When the unit's lease now in ZooKeeper was created, by the server's clock (this host's). */
    private static long leaseCreated(String connect, String application) throws Exception {
        try (CuratorFramework reader = CuratorFrameworkFactory.newClient(connect, 10_000, 5_000,
                new ExponentialBackoffRetry(100, 3))) {
            reader.start();
            assertThat(reader.blockUntilConnected(10, TimeUnit.SECONDS)).isTrue();
            String leases = "/streamfleet/" + application + "/leases";
            List<String> children = reader.getChildren().forPath(leases);
            assertThat(children).hasSize(1);
            Stat stat = new Stat();
            String holder = new String(reader.getData().storingStatIn(stat).forPath(leases + "/" + children.get(0)),
                    StandardCharsets.UTF_8);
            assertThat(holder).contains("w2");
            return stat.getCtime();
        }
    }

    /**
     * Stand-in readers that "process" a batch every 20 ms, each only while the lease is certainly
     * theirs, as the real unit runtime asks {@link dev.streamfleet.coordinator.LeaseValidity}
     * before each batch; every batch's start is recorded, by worker, in wall-clock millis.
     */
    private static final class Ticks implements UnitWorkFactory {
        private final ScheduledExecutorService ticker;
        private final Map<String, List<Long>> started = new ConcurrentHashMap<>();

        Ticks(ScheduledExecutorService ticker) {
            this.ticker = ticker;
        }

        List<Long> of(String worker) {
            return List.copyOf(started.getOrDefault(worker, List.of()));
        }

        @Override
        public UnitWork start(UnitContext context) {
            List<Long> batches = started.computeIfAbsent(context.worker().value(), w -> new CopyOnWriteArrayList<>());
            Object lock = new Object();
            boolean[] paused = {false};
            ScheduledFuture<?> ticking = ticker.scheduleWithFixedDelay(() -> {
                synchronized (lock) {
                    if (!paused[0] && context.validity().current()) {
                        batches.add(System.currentTimeMillis());
                    }
                }
            }, 20, 20, TimeUnit.MILLISECONDS);
            return new UnitWork() {
                @Override
                public void pause() {
                    synchronized (lock) {
                        paused[0] = true;
                    }
                }

                @Override
                public void resume() {
                    synchronized (lock) {
                        paused[0] = false;
                    }
                }

                @Override
                public CompletionStage<Boolean> revoke(Duration timeout, RevokeReason reason) {
                    ticking.cancel(false);
                    return CompletableFuture.completedFuture(true);
                }

                @Override
                public CompletionStage<Void> abandon(String reason) {
                    ticking.cancel(false);
                    return CompletableFuture.completedFuture(null);
                }
            };
        }
    }
}
