package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.core.MonotonicClock;
import dev.streamfleet.core.Position;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * When a unit writes a checkpoint: at most once per interval after processing, and never when
 * the position has not moved since the last write, so an idle fleet writes nothing. Revoke,
 * shard end and shutdown always write (when the position moved).
 */
public record CheckpointPolicy(Duration interval) {

    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);

    public CheckpointPolicy {
        Objects.requireNonNull(interval, "interval");
        if (interval.isNegative()) {
            throw new IllegalArgumentException("the checkpoint interval cannot be negative: " + interval);
        }
    }

    /**
     * Whether to write now.
     *
     * @param processed   the position processed up to; null when nothing was processed yet
     * @param written     the position last written; null when none was
     * @param writtenAt   when it was written; null when none was
     * @param now         the time now
     * @param mustWrite   revoke, shard end or shutdown
     */
    public boolean shouldWrite(Position processed, Position written, Instant writtenAt, Instant now, boolean mustWrite) {
        return processed != null && shouldWrite(!processed.equals(written), writtenAt, now, mustWrite);
    }

    /**
     * Whether to write now, given whether the progress moved since the last write. The times are
     * the unit's {@link MonotonicClock}'s, which no step of the wall clock moves back.
     */
    public boolean shouldWrite(boolean moved, Instant writtenAt, Instant now, boolean mustWrite) {
        return moved && (mustWrite || writtenAt == null || !now.isBefore(writtenAt.plus(interval)));
    }
}
