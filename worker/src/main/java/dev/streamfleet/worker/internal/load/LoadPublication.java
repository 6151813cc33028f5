package dev.streamfleet.worker.internal.load;

import dev.streamfleet.coordinator.UnitLoad;
import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * When a worker tells the leader its units' loads: at most once per {@link #MIN_INTERVAL}, and
 * only when some unit's load moved by more than 20 % (and by more than {@link #MIN_CHANGE})
 * since it last did; a unit it did not mention counts as idle. So an idle worker never writes,
 * and a steady one writes nothing after its first figures. Pure; one owner.
 */
public final class LoadPublication {

    public static final Duration MIN_INTERVAL = Duration.ofSeconds(10);
    static final double RELATIVE_CHANGE = 0.2;
    static final double MIN_CHANGE = 0.005;

    private Map<UnitId, UnitLoad> published = Map.of();
    private long publishedAtNanos;
    private boolean ever;

    /**
     * Whether {@code loads}, the averages of every unit held now, are to be published at
     * {@code nowNanos}; if so they count as published.
     */
    public boolean due(Map<UnitId, UnitLoad> loads, long nowNanos) {
        if (ever && nowNanos - publishedAtNanos < MIN_INTERVAL.toNanos()) {
            return false;
        }
        Set<UnitId> units = new HashSet<>(loads.keySet());
        units.addAll(published.keySet());
        boolean changed = false;
        for (UnitId unit : units) {
            changed |= moved(published.getOrDefault(unit, UnitLoad.IDLE).load(), loads.getOrDefault(unit, UnitLoad.IDLE).load());
        }
        if (!changed) {
            return false;
        }
        published = Map.copyOf(loads);
        publishedAtNanos = nowNanos;
        ever = true;
        return true;
    }

    /** A publication that failed: the next attempt is due as soon as the interval allows. */
    public void failed() {
        published = Map.of();
    }

    private static boolean moved(double before, double after) {
        double change = Math.abs(after - before);
        return change > MIN_CHANGE && change > RELATIVE_CHANGE * Math.max(before, after);
    }
}
