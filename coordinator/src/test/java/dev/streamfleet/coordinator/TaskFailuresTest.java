package dev.streamfleet.coordinator;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * No executor swallows an exception: a task that throws is reported (logged, counted, kept as
 * the last failure) by production's scheduler, and fails the script on the hand-driven one. A
 * java.util.concurrent scheduled executor keeps a task's exception in a future nobody reads;
 * these tests fail if that comes back.
 */
class TaskFailuresTest {

    private final TaskFailures failures = new TaskFailures("worker-a");
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        thread.shutdownNow();
    }

    @Test
    void productionsSchedulerReportsATaskThatThrowsAndRunsTheNextOne() throws InterruptedException {
        Scheduler scheduler = Scheduler.of(thread, thread, failures);
        CountDownLatch next = new CountDownLatch(1);

        scheduler.execute(() -> {
            throw new IllegalStateException("fencing domain 'x y' is invalid");
        });
        scheduler.execute(next::countDown);

        assertThat(next.await(5, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> failures.count() == 1);
        assertThat(failures.last()).hasValueSatisfying(last -> assertThat(last.toString())
                .contains("IllegalStateException").contains("fencing domain 'x y' is invalid"));
    }

    @Test
    void productionsSchedulerReportsATimerThatThrowsAndATaskHandedOverByOne() {
        java.util.concurrent.ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Scheduler scheduler = Scheduler.of(thread, pool, failures);

            scheduler.schedule(() -> {
                throw new IllegalArgumentException("in a timer");
            }, Duration.ofMillis(10));
            scheduler.executeAfter(() -> {
                throw new IllegalArgumentException("in a task after a delay");
            }, Duration.ofMillis(20));

            await().atMost(Duration.ofSeconds(5)).until(() -> failures.count() == 2);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aStageCallbackThatThrowsIsReportedToo() {
        Scheduler scheduler = Scheduler.of(thread, thread, failures);

        scheduler.whenDone(java.util.concurrent.CompletableFuture.completedFuture("x"), (value, error) -> {
            throw new IllegalStateException("in a callback");
        });

        await().atMost(Duration.ofSeconds(5)).until(() -> failures.count() == 1);
    }

    @Test
    void anExecutorOfTheseFailuresReportsWhatIsSubmittedUnguardedAndAGuardedPeriodicTaskLivesOn() {
        ScheduledExecutorService reporting = failures.singleThread("test-thread");
        try {
            reporting.execute(() -> {
                throw new IllegalStateException("plain execute");
            });
            reporting.schedule(() -> {
                throw new IllegalStateException("plain schedule");
            }, 1, TimeUnit.MILLISECONDS);
            await().atMost(Duration.ofSeconds(5)).until(() -> failures.count() == 2);

            AtomicInteger runs = new AtomicInteger();
            reporting.scheduleWithFixedDelay(failures.guard(() -> {
                if (runs.incrementAndGet() == 1) {
                    throw new IllegalStateException("first run only");
                }
            }), 0, 5, TimeUnit.MILLISECONDS);
            await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() >= 3);
            assertThat(failures.count()).isEqualTo(3);
        } finally {
            reporting.shutdownNow();
        }
    }

    @Test
    void theHandDrivenSchedulerFailsTheScriptWhenATaskThrows() {
        ManualScheduler manual = new ManualScheduler();
        manual.execute(() -> {
            throw new IllegalStateException("in a pool task");
        });

        assertThatThrownBy(manual::runReady).hasMessage("in a pool task");
    }

    @Test
    void theHandDrivenSchedulerFailsTheScriptWhenATimerThrows() {
        ManualScheduler manual = new ManualScheduler();
        manual.schedule(() -> {
            throw new IllegalStateException("in a timer");
        }, Duration.ofSeconds(1));

        assertThatThrownBy(() -> manual.advance(Duration.ofSeconds(1))).hasMessage("in a timer");
    }
}
