package dev.streamfleet.coordinator;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RebalanceScheduleTest {

    private static final Instant T0 = Instant.parse("2026-11-25T00:00:00Z");
    private final RebalanceSchedule schedule = new RebalanceSchedule(Duration.ofMillis(300), Duration.ofSeconds(2));

    @Test
    void nothingIsDueWithoutAChange() {
        assertThat(schedule.dueAt()).isEmpty();
        assertThat(schedule.isDue(T0.plusSeconds(60))).isFalse();
    }

    @Test
    void burstOfJoinsCausesOneRebalanceAfterTheQuietPeriod() {
        for (int i = 0; i < 10; i++) {
            schedule.changed(T0.plusMillis(20L * i));
        }

        assertThat(schedule.dueAt()).contains(T0.plusMillis(180 + 300));
        assertThat(schedule.isDue(T0.plusMillis(479))).isFalse();
        assertThat(schedule.isDue(T0.plusMillis(480))).isTrue();
    }

    @Test
    void steadyTrickleOfChangesCannotPostponeTheRebalancePastTheMaximumDelay() {
        for (int i = 0; i < 100; i++) {
            schedule.changed(T0.plusMillis(250L * i));
        }

        assertThat(schedule.dueAt()).contains(T0.plusSeconds(2));
    }

    @Test
    void changesAfterARebalanceStartScheduleTheNextOne() {
        schedule.changed(T0);
        schedule.started();
        assertThat(schedule.dueAt()).isEmpty();

        schedule.changed(T0.plusSeconds(5));
        assertThat(schedule.dueAt()).contains(T0.plusSeconds(5).plusMillis(300));
    }

    @Test
    void aMaximumDelayEqualToTheQuietPeriodRebalancesAQuietPeriodAfterTheFirstChange() {
        RebalanceSchedule strict = new RebalanceSchedule(Duration.ofMillis(300), Duration.ofMillis(300));
        Instant start = Instant.parse("2026-01-01T00:00:00Z");
        strict.changed(start);
        strict.changed(start.plusMillis(200));

        assertThat(strict.dueAt()).contains(start.plusMillis(300));
    }
}
