package dev.streamfleet.worker.internal.runtime;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressWatchTest {

    private static final Instant START = Instant.parse("2026-11-29T12:00:00Z");

    @Test
    void aUnitWithRecordsWaitingAndNoProgressPastTheBoundIsStalled() {
        ProgressWatch watch = new ProgressWatch(Duration.ofSeconds(30), START);
        watch.recordsWaiting();

        assertThat(watch.stalled(START.plusSeconds(30))).isEmpty();
        assertThat(watch.stalled(START.plusSeconds(31))).contains("no record processed for 31 s while records wait (bound 30 s)");
    }

    @Test
    void progressResetsTheClockAndALagKeepsRecordsWaiting() {
        ProgressWatch watch = new ProgressWatch(Duration.ofSeconds(30), START);
        watch.recordsWaiting();
        watch.progressed(START.plusSeconds(25), true);

        assertThat(watch.stalled(START.plusSeconds(50))).isEmpty();
        assertThat(watch.stalled(START.plusSeconds(56))).isPresent();
    }

    @Test
    void nothingWaitingIsNeverStalledHoweverLongAndAClosedUnitNeither() {
        ProgressWatch watch = new ProgressWatch(Duration.ofSeconds(30), START);
        assertThat(watch.stalled(START.plus(Duration.ofDays(1)))).isEmpty();

        watch.recordsWaiting();
        watch.close();
        assertThat(watch.stalled(START.plus(Duration.ofDays(1)))).isEmpty();
        assertThat(watch.closed()).isTrue();
    }

    @Test
    void theWatchdogLooksAQuarterOfTheBoundApartWithinLimits() {
        assertThat(new ProgressWatch(Duration.ofSeconds(2), START).checkEvery()).isEqualTo(Duration.ofMillis(500));
        assertThat(new ProgressWatch(Duration.ofMillis(100), START).checkEvery()).isEqualTo(Duration.ofMillis(100));
        assertThat(new ProgressWatch(Duration.ofMinutes(5), START).checkEvery()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void aUnitHeldByOneKeyIsStalledOnlyPastTheBound() {
        ProgressWatch watch = new ProgressWatch(Duration.ofSeconds(30), START);
        watch.held(START, "key k1 holds the watermark");
        watch.held(START.plusSeconds(10), "key k1 holds the watermark");

        assertThat(watch.stalled(START.plusSeconds(30))).isEmpty();
        assertThat(watch.stalled(START.plusSeconds(31))).contains("key k1 holds the watermark for 31 s (bound 30 s)");
        watch.released();
        assertThat(watch.stalled(START.plusSeconds(60))).isEmpty();
    }

    @Test
    void readsFailingPastTheBoundStallTheUnitUntilOneSucceeds() {
        ProgressWatch watch = new ProgressWatch(Duration.ofSeconds(30), START);
        watch.readFailed(START, "throttled");
        watch.readFailed(START.plusSeconds(20), "timed out");

        assertThat(watch.stalled(START.plusSeconds(30))).isEmpty();
        assertThat(watch.stalled(START.plusSeconds(31)))
                .contains("every read has failed for 31 s (bound 30 s); last: timed out");
        watch.readSucceeded();
        assertThat(watch.stalled(START.plusSeconds(60))).isEmpty();
    }
}
