package dev.streamfleet.coordinator;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * When the leader should rebalance after changes: a quiet period after the last change, so
 * that ten workers starting together cause one rebalance, but never later than a maximum
 * delay after the first change, so that a steady trickle of changes (a rolling upgrade) can
 * not postpone it forever. Not thread-safe: it belongs to the leader's loop thread.
 */
public final class RebalanceSchedule {

    private final Duration quiet;
    private final Duration maxDelay;
    private Instant firstChange;
    private Instant lastChange;

    public RebalanceSchedule(Duration quiet, Duration maxDelay) {
        if (quiet.isNegative() || maxDelay.compareTo(quiet) < 0) {
            throw new IllegalArgumentException("need 0 <= quiet <= maxDelay, not " + quiet + " and " + maxDelay);
        }
        this.quiet = quiet;
        this.maxDelay = maxDelay;
    }

    /** Something changed at {@code now}. */
    public void changed(Instant now) {
        if (firstChange == null) {
            firstChange = now;
        }
        lastChange = now;
    }

    /** When the next rebalance is due, or empty when nothing changed since the last one. */
    public Optional<Instant> dueAt() {
        if (firstChange == null) {
            return Optional.empty();
        }
        Instant afterQuiet = lastChange.plus(quiet);
        Instant latest = firstChange.plus(maxDelay);
        return Optional.of(afterQuiet.isBefore(latest) ? afterQuiet : latest);
    }

    public boolean isDue(Instant now) {
        return dueAt().map(due -> !now.isBefore(due)).orElse(false);
    }

    /** A rebalance started at {@code now}; changes from now on schedule the next one. */
    public void started() {
        firstChange = null;
        lastChange = null;
    }
}
