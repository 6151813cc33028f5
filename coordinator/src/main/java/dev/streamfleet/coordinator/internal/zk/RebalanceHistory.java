package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.coordinator.RebalanceRecord;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The last assignments a leader published, newest last: written by the rebalance loop and the
 * settle meter, read by the status page. One immutable list, swapped whole, so readers never
 * see half a change and nobody holds a lock.
 */
final class RebalanceHistory {

    private final int limit;
    private final AtomicReference<List<RebalanceRecord>> records = new AtomicReference<>(List.of());

    RebalanceHistory(int limit) {
        this.limit = limit;
    }

    void add(RebalanceRecord record) {
        records.updateAndGet(current -> {
            List<RebalanceRecord> next = new ArrayList<>(current);
            next.add(record);
            return List.copyOf(next.subList(Math.max(0, next.size() - limit), next.size()));
        });
    }

    /** Notes that the moves of the rebalance that published {@code generation} settled after {@code elapsed}. */
    void settled(long generation, Duration elapsed) {
        records.updateAndGet(current -> current.stream()
                .map(record -> record.generation() == generation ? record.settledAfter(elapsed) : record)
                .toList());
    }

    List<RebalanceRecord> list() {
        return records.get();
    }
}
