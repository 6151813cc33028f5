package dev.streamfleet.worker.internal.runtime;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Whether a unit is making progress: it is STALLED when records are waiting for it (a batch in
 * hand, a batch held back or offered again, or a known lag) and none has been processed for
 * longer than the bound, or when every read of its source has failed for longer than the bound
 * (it cannot tell whether records wait). Written by the unit's mailbox, read by its watchdog, so
 * every field is published whole.
 */
final class ProgressWatch {

    private record Progress(Instant lastProgress, boolean recordsWaiting, boolean closed, Instant failingSince,
                            String failure) {
        Progress(Instant lastProgress, boolean recordsWaiting, boolean closed) {
            this(lastProgress, recordsWaiting, closed, null, null);
        }
    }

    /** Reading paused because one key holds the watermark, since when and why. */
    private record Hold(Instant since, String why) {
    }

    private final Duration bound;
    private volatile Progress progress;
    private volatile Hold hold;

    ProgressWatch(Duration bound, Instant start) {
        this.bound = bound;
        this.progress = new Progress(start, false, false);
    }

    /** Records were processed, or the unit is caught up; {@code moreWaiting} when a lag remains. */
    void progressed(Instant now, boolean moreWaiting) {
        progress = new Progress(now, moreWaiting, progress.closed());
    }

    /** A read of the source failed for {@code reason}; the first of a run of failures starts the clock. */
    void readFailed(Instant now, String reason) {
        Progress current = progress;
        Instant since = current.failingSince() == null ? now : current.failingSince();
        progress = new Progress(current.lastProgress(), current.recordsWaiting(), current.closed(), since, reason);
    }

    /** A read of the source succeeded: a run of failures is over. */
    void readSucceeded() {
        Progress current = progress;
        if (current.failingSince() != null) {
            progress = new Progress(current.lastProgress(), current.recordsWaiting(), current.closed());
        }
    }

    /** Records wait for the unit: fetched, held back, or offered again. */
    void recordsWaiting() {
        Progress current = progress;
        if (!current.recordsWaiting()) {
            progress = new Progress(current.lastProgress(), true, current.closed());
        }
    }

    /**
     * Reading is paused because the records kept after the watermark reached their bound: one
     * record, of the key {@code why} names, is not finished while the rest behind it are. Other
     * keys may still be making progress, yet the unit reads nothing more; past the bound it is
     * STALLED with this reason.
     */
    void held(Instant now, String why) {
        Hold current = hold;
        hold = new Hold(current == null ? now : current.since(), why);
    }

    /** Reading is no longer held by one key. */
    void released() {
        if (hold != null) {
            hold = null;
        }
    }

    /** Why the unit counts as stalled at {@code now}, if it does. */
    Optional<String> stalled(Instant now) {
        Progress current = progress;
        Hold held = hold;
        if (!current.closed() && held != null) {
            Duration holding = Duration.between(held.since(), now);
            if (holding.compareTo(bound) > 0) {
                return Optional.of(held.why() + " for " + holding.toSeconds() + " s (bound " + bound.toSeconds() + " s)");
            }
        }
        if (!current.closed() && current.failingSince() != null) {
            Duration failing = Duration.between(current.failingSince(), now);
            if (failing.compareTo(bound) > 0) {
                return Optional.of("every read has failed for " + failing.toSeconds() + " s (bound " + bound.toSeconds()
                        + " s); last: " + current.failure());
            }
        }
        Duration idle = Duration.between(current.lastProgress(), now);
        if (current.closed() || !current.recordsWaiting() || idle.compareTo(bound) <= 0) {
            return Optional.empty();
        }
        return Optional.of("no record processed for " + idle.toSeconds() + " s while records wait (bound "
                + bound.toSeconds() + " s)");
    }

    /** The unit is done on this worker; its watchdog stops. */
    void close() {
        Progress current = progress;
        progress = new Progress(current.lastProgress(), false, true);
    }

    boolean closed() {
        return progress.closed();
    }

    /** How often a watchdog should look: a quarter of the bound, from 100 ms to 30 s. */
    Duration checkEvery() {
        Duration quarter = bound.dividedBy(4);
        Duration min = Duration.ofMillis(100);
        Duration max = Duration.ofSeconds(30);
        return quarter.compareTo(min) < 0 ? min : quarter.compareTo(max) > 0 ? max : quarter;
    }
}
