package dev.streamfleet.core;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The clock a worker's units measure durations on: a wall instant read once, at the start, plus the
 * time a monotonic nanosecond counter has counted since. Neither NTP nor an operator can step it,
 * so a revoke's deadline, a backoff, the checkpoint interval and stall detection last as long as
 * they say. Its instants stay close to the wall clock's (they drift by whatever the wall clock was
 * stepped or slewed since the start), close enough for the times the status page shows; where a
 * wall time itself is meant (a LATEST start's timestamp, a record's processedAt), read the wall clock.
 */
public final class MonotonicClock extends Clock {

    private final Instant start;
    private final long startNanos;
    private final LongSupplier nanoTime;

    private MonotonicClock(Instant start, LongSupplier nanoTime) {
        this.start = Objects.requireNonNull(start, "start");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.startNanos = nanoTime.getAsLong();
    }

    /** Starts at {@code wall}'s time now and runs on {@link System#nanoTime()}: production's. */
    public static MonotonicClock system(Clock wall) {
        return startingAt(wall.instant(), System::nanoTime);
    }

    /**
     * Starts at {@code start} and runs on {@code nanoTime}, which must never go back (as
     * {@link System#nanoTime()} does not): a test's or a simulation's time.
     */
    public static MonotonicClock startingAt(Instant start, LongSupplier nanoTime) {
        return new MonotonicClock(start, nanoTime);
    }

    @Override
    public Instant instant() {
        return start.plus(Duration.ofNanos(nanoTime.getAsLong() - startNanos));
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
