package dev.streamfleet.core;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MonotonicClockTest {

    private static final Instant START = Instant.parse("2026-12-08T00:00:00Z");

    @Test
    void startsAtTheWallClocksTimeAndRunsOnTheNanosecondCounter() {
        long[] nanos = {1_000_000_000_000L};
        MonotonicClock clock = MonotonicClock.startingAt(START, () -> nanos[0]);
        assertThat(clock.instant()).isEqualTo(START);

        nanos[0] += Duration.ofMillis(1500).toNanos();
        assertThat(clock.instant()).isEqualTo(START.plusMillis(1500));
        assertThat(clock.millis()).isEqualTo(START.plusMillis(1500).toEpochMilli());
    }

    @Test
    void aNegativeCounterAsNanoTimeMayHaveIsNoProblem() {
        long[] nanos = {Long.MIN_VALUE + 10};
        MonotonicClock clock = MonotonicClock.startingAt(START, () -> nanos[0]);
        nanos[0] += 5;
        assertThat(clock.instant()).isEqualTo(START.plusNanos(5));
    }

    @Test
    void theSystemClockStartsAtTheWallClocksTimeAndDoesNotFollowIt() {
        MonotonicClock clock = MonotonicClock.system(Clock.fixed(START, ZoneOffset.UTC));
        Instant read = clock.instant();
        assertThat(read).isAfterOrEqualTo(START).isBefore(START.plusSeconds(60));
    }
}
