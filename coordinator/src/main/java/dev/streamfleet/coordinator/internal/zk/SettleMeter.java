package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.coordinator.Scheduler;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.util.Map;
import java.util.function.LongSupplier;

import org.apache.curator.framework.CuratorFramework;

/**
 * Measures how long a rebalance's moves took: until every unit it moved (or newly assigned) is
 * leased by its new owner. It reads the moved units' lease nodes a tenth of a second apart, for
 * at most a minute, on its own thread (after shutdown, quietly not at all), so the leader's rebalance loop never waits on it; a
 * rebalance that never settles keeps no figure.
 */
final class SettleMeter {

    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration LIMIT = Duration.ofMinutes(1);

    private final CuratorFramework client;
    private final ZkPaths paths;
    private final RebalanceHistory history;
    private final Scheduler executor;
    private final LongSupplier nanos;

    SettleMeter(CuratorFramework client, ZkPaths paths, RebalanceHistory history, Scheduler executor,
                LongSupplier nanos) {
        this.client = client;
        this.paths = paths;
        this.history = history;
        this.executor = executor;
        this.nanos = nanos;
    }

    /** Starts measuring the rebalance that published {@code generation} at {@code committedNanos}. */
    void measure(long generation, Map<UnitId, WorkerId> movedTo, long committedNanos) {
        Map<UnitId, WorkerId> moves = Map.copyOf(movedTo);
        executor.execute(() -> check(generation, moves, committedNanos));
    }

    private void check(long generation, Map<UnitId, WorkerId> moves, long committedNanos) {
        Duration elapsed = Duration.ofNanos(nanos.getAsLong() - committedNanos);
        if (settled(moves)) {
            history.settled(generation, elapsed);
        } else if (elapsed.compareTo(LIMIT) < 0) {
            // check reads ZooKeeper: the timer hands it over rather than run it.
            executor.executeAfter(() -> check(generation, moves, committedNanos), POLL);
        }
    }

    private boolean settled(Map<UnitId, WorkerId> moves) {
        for (Map.Entry<UnitId, WorkerId> move : moves.entrySet()) {
            try {
                byte[] data = client.getData().forPath(paths.lease(move.getKey()));
                if (!ZkJson.lease(data).worker().equals(move.getValue())) {
                    return false;
                }
            } catch (Exception e) {
                return false;
            }
        }
        return true;
    }
}
