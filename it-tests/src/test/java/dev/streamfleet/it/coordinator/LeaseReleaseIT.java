package dev.streamfleet.it.coordinator;

import dev.streamfleet.coordinator.LoopbackProxy;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.internal.memory.InMemoryCheckpointTable;
import dev.streamfleet.coordinator.CoordinatorConfig;
import dev.streamfleet.coordinator.RevokeReason;
import dev.streamfleet.coordinator.StaticUnitDiscovery;
import dev.streamfleet.coordinator.UnitSpec;
import dev.streamfleet.coordinator.UnitState;
import dev.streamfleet.coordinator.UnitWork;
import dev.streamfleet.coordinator.UnitWorkFactory;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.coordinator.internal.zk.FleetMember;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.it.LocalStackExtension;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A lease given up while the connection to ZooKeeper is SUSPENDED, on a real server: the
 * delete must happen once the connection is back with the same session, or the next owner
 * waits on an ephemeral node that nobody will delete until the worker restarts.
 */
class LeaseReleaseIT {

    @RegisterExtension
    static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withZooKeeper(1));

    /** Long enough that the cut below never expires the session. */
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration BOUND = Duration.ofSeconds(20);

    private static int zookeeperPort() {
        String endpoint = SERVERS.stack().zookeeper().endpoint();
        return Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
    }

    @Test
    void leaseReleasedWhileSuspendedIsDeletedOnReconnectSoTheNextOwnerTakesIt() throws Exception {
        String application = "release-" + UUID.randomUUID().toString().substring(0, 8);
        CheckpointStore store = new InMemoryCheckpointTable().store(application);
        List<UnitSpec> specs = List.of(UnitSpec.of(UnitId.kafka("orders", 0)), UnitSpec.of(UnitId.kafka("orders", 1)));
        HandOverOnCue work = new HandOverOnCue();
        try (LoopbackProxy link = new LoopbackProxy(zookeeperPort())) {
            FleetMember first = member(application, link.connectString(), "w1", store, specs, work);
            FleetMember second = null;
            try {
                await().atMost(BOUND).until(() -> first.units().size() == 2
                        && first.units().values().stream().allMatch(s -> s == UnitState.READING));
                long session = first.session().id();

                second = member(application, SERVERS.stack().zookeeper().endpoint(), "w2", store, specs, work);
                await().atMost(BOUND).until(() -> work.revokes.size() == 1);
                UnitId moved = work.revokes.keySet().iterator().next();
                UnitId kept = specs.stream().map(UnitSpec::id).filter(u -> !u.equals(moved)).findFirst().orElseThrow();

                link.cut();
                await().atMost(BOUND).until(() -> first.units().get(kept) == UnitState.PAUSED);
                // The unit has handed over: the keeper gives the lease up on its own thread at once,
                // long before the client's next connection attempt can succeed after the heal.
                work.revokes.get(moved).complete(true);
                link.heal();

                await().atMost(BOUND).until(() -> first.units().get(kept) == UnitState.READING);
                assertThat(first.session().id()).as("the session survived the cut").isEqualTo(session);
                FleetMember next = second;
                await().atMost(BOUND).alias(moved + " read by its next owner after its lease was released while suspended")
                        .until(() -> next.units().get(moved) == UnitState.READING);
            } finally {
                if (second != null) {
                    second.close();
                }
                work.revokes.values().forEach(f -> f.complete(true));
                first.close();
            }
        }
    }

    private static FleetMember member(String application, String connect, String id, CheckpointStore store,
                                      List<UnitSpec> specs, UnitWorkFactory work) {
        CoordinatorConfig config = CoordinatorConfig.of(application, connect).withSessionTimeout(SESSION_TIMEOUT)
                .withDiscoveryInterval(Duration.ofMillis(500));
        return FleetMember.start(config, new WorkerInfo(WorkerId.of(id), "localhost", "", Instant.now(), "test", 1),
                new StaticUnitDiscovery(specs), store, work);
    }

    /** Units that read nothing and hand over only when the test says so; the second owner's hand over at once. */
    private static final class HandOverOnCue implements UnitWorkFactory {
        final Map<UnitId, CompletableFuture<Boolean>> revokes = new ConcurrentHashMap<>();

        @Override
        public UnitWork start(dev.streamfleet.coordinator.UnitContext context) {
            boolean first = context.worker().value().equals("w1");
            return new UnitWork() {
                @Override
                public void pause() {
                }

                @Override
                public void resume() {
                }

                @Override
                public CompletionStage<Boolean> revoke(Duration timeout, RevokeReason reason) {
                    if (!first || reason == RevokeReason.SHUTDOWN) {
                        return CompletableFuture.completedFuture(true);
                    }
                    return revokes.computeIfAbsent(context.unit(), u -> new CompletableFuture<>());
                }

                @Override
                public CompletionStage<Void> abandon(String reason) {
                    return CompletableFuture.completedFuture(null);
                }
            };
        }
    }
}
