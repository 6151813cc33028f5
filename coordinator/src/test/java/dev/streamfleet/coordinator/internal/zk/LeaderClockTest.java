package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.core.MonotonicClock;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The leader's schedule runs on the monotonic clock: a wall clock stepped back would hold a
 * rebalance off for the length of the step ({@link dev.streamfleet.core.MonotonicClockTest} shows
 * that a step does not reach it).
 */
class LeaderClockTest {

    @Test
    void theLeadersScheduleRunsOnTheMonotonicClockNotTheWallClock() {
        assertThat(FleetMember.leaderClock()).isInstanceOf(MonotonicClock.class);
    }
}
