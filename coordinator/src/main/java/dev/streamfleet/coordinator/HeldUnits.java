package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The units a worker's lease keeper handles: their records, owned by the keeper's thread, and
 * the states and failure reasons it publishes for everyone else to read.
 */
final class HeldUnits {

    private final Map<UnitId, UnitLease> leases = new HashMap<>();
    /**
     * Units dropped without a checkpoint whose runner has not stopped yet: shown as LOST, and not
     * taken again (not even under a new session) until the old runner's batch in hand returned.
     */
    private final Set<UnitId> stopping = new HashSet<>();
    // Written only on the keeper's thread, as records change; read from any thread.
    private final Map<UnitId, UnitState> published = new ConcurrentHashMap<>();
    private final Map<UnitId, String> failures = new ConcurrentHashMap<>();
    private CompletableFuture<Void> empty;

    /** A new record for a unit not held now. */
    UnitLease add(UnitId unit) {
        UnitLease lease = new UnitLease(unit, this);
        leases.put(unit, lease);
        published.put(unit, lease.state);
        return lease;
    }

    UnitLease current(UnitId unit) {
        return leases.get(unit);
    }

    /** Whether the unit has a record here, or a runner that still stops. */
    boolean contains(UnitId unit) {
        return leases.containsKey(unit) || stopping.contains(unit);
    }

    /**
     * Drops the record as LOST now, and keeps the unit from being taken again until
     * {@link #stopped} says its runner has stopped.
     */
    void dropWhileStopping(UnitLease lease) {
        stopping.add(lease.unit);
        lease.moveTo(UnitState.LOST);
        published.put(lease.unit, UnitState.LOST);
    }

    /** The runner of a unit dropped by {@link #dropWhileStopping} has stopped. */
    void stopped(UnitId unit) {
        if (stopping.remove(unit) && !leases.containsKey(unit)) {
            published.remove(unit);
        }
        completeIfEmpty();
    }

    List<UnitLease> all() {
        return new ArrayList<>(leases.values());
    }

    int size() {
        return leases.size();
    }

    void failed(UnitLease lease, String reason) {
        lease.moveTo(UnitState.FAILED);
        failures.put(lease.unit, reason);
    }

    /** Follows a record's move; a terminal record leaves. */
    void changed(UnitLease lease) {
        if (lease.state != UnitState.FAILED) {
            failures.remove(lease.unit);
        }
        if (!lease.state.isTerminal()) {
            published.put(lease.unit, lease.state);
            return;
        }
        published.remove(lease.unit);
        leases.remove(lease.unit, lease);
        completeIfEmpty();
    }

    /** Completes {@code future} once no unit is held and no dropped runner still stops, at once if so. */
    void whenEmpty(CompletableFuture<Void> future) {
        empty = future;
        completeIfEmpty();
    }

    private void completeIfEmpty() {
        if (empty != null && leases.isEmpty() && stopping.isEmpty()) {
            empty.complete(null);
        }
    }

    Map<UnitId, UnitState> states() {
        return Map.copyOf(published);
    }

    Map<UnitId, String> failures() {
        return Map.copyOf(failures);
    }
}
