package dev.streamfleet.coordinator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The double must be no kinder than production: a full pool is full, and timers fire beside it. */
class ManualSchedulerTest {

    private final ManualScheduler scheduler = new ManualScheduler(2);
    private final ManualScheduler.Hold hold = scheduler.newHold();
    private final List<String> ran = new ArrayList<>();

    @Test
    void readyTasksWaitWhileEveryPoolThreadIsHeldAndRunOnceOneIsReleased() {
        scheduler.execute(hold::await);
        scheduler.execute(hold::await);
        scheduler.execute(() -> ran.add("third"));

        scheduler.advance(Duration.ofMinutes(1));
        assertThat(ran).as("no pool thread free").isEmpty();
        assertThat(scheduler.freePoolThreads()).isZero();

        hold.release();
        scheduler.runReady();
        assertThat(ran).containsExactly("third");
        assertThat(scheduler.freePoolThreads()).isEqualTo(2);
    }

    @Test
    void timersFireOnTheTimerThreadWhileEveryPoolThreadIsHeld() {
        scheduler.execute(hold::await);
        scheduler.execute(hold::await);
        scheduler.schedule(() -> ran.add("timer"), Duration.ofSeconds(5));
        scheduler.executeAfter(() -> ran.add("handed to the pool"), Duration.ofSeconds(5));

        scheduler.advanceTimersOnly(Duration.ofSeconds(5));

        assertThat(ran).containsExactly("timer");
        hold.release();
        scheduler.runReady();
        assertThat(ran).containsExactly("timer", "handed to the pool");
    }

    @Test
    void aTimerThatWaitsFailsTheTestSinceItWouldStopEveryTimer() {
        scheduler.schedule(hold::await, Duration.ofSeconds(1));

        assertThatThrownBy(() -> scheduler.advance(Duration.ofSeconds(1))).isInstanceOf(AssertionError.class)
                .hasMessageContaining("a timer task waited");
    }

    @Test
    void advanceTimersOnlyRefusesToPretendAFreePoolThreadBusy() {
        scheduler.execute(hold::await);

        assertThatThrownBy(() -> scheduler.advanceTimersOnly(Duration.ofSeconds(1))).isInstanceOf(AssertionError.class)
                .hasMessageContaining("1 of 2 pool threads would run ready tasks");
    }

    @Test
    void aScheduledPoolsDelayedTaskWaitsForAPoolThreadLikeAnyTask() {
        scheduler.execute(hold::await);
        scheduler.execute(hold::await);
        scheduler.pool().schedule(() -> {
            ran.add("on the pool");
        }, 1, java.util.concurrent.TimeUnit.SECONDS);
        scheduler.timerThread().schedule(() -> {
            ran.add("on the timer thread");
        }, 1, java.util.concurrent.TimeUnit.SECONDS);

        scheduler.advance(Duration.ofSeconds(1));

        assertThat(ran).containsExactly("on the timer thread");
    }
}
