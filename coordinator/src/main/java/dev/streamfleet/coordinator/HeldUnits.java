package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The units a worker's lease keeper handles: their records, owned by the keeper's thread, and
 * the states and failure reasons it publishes for everyone else to read.
 */
final class HeldUnits {

    private final Map<UnitId, UnitLease> leases = new HashMap<>();
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

    boolean contains(UnitId unit) {
        return leases.containsKey(unit);
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
        if (empty != null && leases.isEmpty()) {
            empty.complete(null);
        }
    }

    /** Completes {@code future} once no unit is held, at once if none is. */
    void whenEmpty(CompletableFuture<Void> future) {
        empty = future;
        if (leases.isEmpty()) {
            future.complete(null);
        }
    }

    Map<UnitId, UnitState> states() {
        return Map.copyOf(published);
    }

    Map<UnitId, String> failures() {
        return Map.copyOf(failures);
    }
}
