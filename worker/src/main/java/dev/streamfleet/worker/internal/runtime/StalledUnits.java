package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.core.UnitId;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The units of a worker that are in trouble, with why: STALLED (written by their watchdogs), and
 * retrying a failed read of their source (written by their reads, from the first failure until a
 * read succeeds, so that a wait is on the page before it is long enough to stall). Read by the
 * status endpoints.
 */
public final class StalledUnits {

    private final Map<UnitId, String> stalled = new ConcurrentHashMap<>();
    private final Map<UnitId, String> retrying = new ConcurrentHashMap<>();

    void report(UnitId unit, String reason) {
        stalled.put(unit, reason);
    }

    void clear(UnitId unit) {
        stalled.remove(unit);
    }

    /** The unit's reads fail, the last for {@code reason}; it tries again. */
    void retrying(UnitId unit, String reason) {
        retrying.put(unit, reason);
    }

    /** The unit's read succeeded, or the unit is done here. */
    void readRecovered(UnitId unit) {
        retrying.remove(unit);
    }

    /** The units whose reads fail now, with the last reason. */
    public Map<UnitId, String> retryingSnapshot() {
        return Map.copyOf(retrying);
    }

    /** The stalled units now, with their reasons. */
    public Map<UnitId, String> snapshot() {
        return Map.copyOf(stalled);
    }
}
