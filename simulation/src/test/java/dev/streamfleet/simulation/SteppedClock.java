package dev.streamfleet.simulation;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * One worker's wall clock: the run's time plus an offset that steps when NTP or an operator sets
 * the clock, while the scheduler's time (timers, the monotonic clock) runs on unchanged.
 */
final class SteppedClock extends Clock {

    private final Clock time;
    private Duration offset = Duration.ZERO;

    SteppedClock(Clock time) {
        this.time = time;
    }

    /** The clock jumps by {@code by}, forward or back. */
    void step(Duration by) {
        offset = offset.plus(by);
    }

    Duration offset() {
        return offset;
    }

    @Override
    public Instant instant() {
        return time.instant().plus(offset);
    }

    @Override
    public long millis() {
        return instant().toEpochMilli();
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
