package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.core.UnitId;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The units of a worker that are STALLED, with why; written by their watchdogs, read by the status endpoints. */
public final class StalledUnits {

    private final Map<UnitId, String> stalled = new ConcurrentHashMap<>();

    void report(UnitId unit, String reason) {
        stalled.put(unit, reason);
    }

    void clear(UnitId unit) {
        stalled.remove(unit);
    }

    /** The stalled units now, with their reasons. */
    public Map<UnitId, String> snapshot() {
        return Map.copyOf(stalled);
    }
}
