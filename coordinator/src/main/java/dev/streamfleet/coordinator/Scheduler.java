package dev.streamfleet.coordinator;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Where work runs and how it waits: an executor in production, a hand-driven queue and clock in
 * tests, so that races between a unit, its lease and the connection can be played step by step.
 *
 * <p>Timers fire on a timer thread: a timer task must be cheap and never block (no I/O, no lock
 * that work may hold, no processor call); it posts a message or hands its work to {@link #execute}.
 * That way a pool whose every thread is busy, with hung processors say, still has its timers fire.
 */
public interface Scheduler {

    /** Runs {@code task} soon; after shutdown, quietly not at all. */
    void execute(Runnable task);

    /**
     * Runs {@code task} on the timer thread after {@code delay}, unless cancelled first; after shutdown,
     * quietly not at all. The task must be cheap and never block: anything more, it hands to {@link #execute}.
     */
    Cancellable schedule(Runnable task, Duration delay);

    /**
     * Runs {@code task} on the pool after {@code delay}, unless cancelled first: the timer only hands it
     * over. For work that may block or that touches state the pool's tasks own.
     */
    default Cancellable executeAfter(Runnable task, Duration delay) {
        return schedule(() -> execute(task), delay);
    }

    /** Runs {@code then} here with the stage's outcome, once the stage completes on whatever thread it does. */
    default <T> void whenDone(CompletionStage<T> stage, BiConsumer<T, Throwable> then) {
        stage.whenComplete((value, error) -> execute(() -> then.accept(value, error)));
    }

    /** A scheduled task that may still be called off. */
    interface Cancellable {
        /** Calls the task off if it has not started; harmless afterwards. */
        void cancel();
    }

    /**
     * Runs tasks and timers alike on {@code executor}; tasks that arrive after it shut down are dropped.
     * Only for a single thread that owns some state and never waits long (a timer there waits for the
     * task in hand); a pool whose tasks may hang wants {@link #of(ScheduledExecutorService, Executor, TaskFailures)}.
     * A task or timer that throws is reported to {@code failures}, never swallowed.
     */
    static Scheduler of(ScheduledExecutorService executor, TaskFailures failures) {
        return of(executor, executor, failures);
    }

    /**
     * Runs tasks on {@code pool} and timers on {@code timerThread}, which nothing else should use, so
     * that timers fire however long the pool's tasks take. Work that arrives after either shut down is
     * dropped. A task or timer that throws is reported to {@code failures} (logged at ERROR, counted),
     * never swallowed: a scheduled executor would keep the exception in a future that nobody reads.
     */
    static Scheduler of(ScheduledExecutorService timerThread, Executor pool, TaskFailures failures) {
        return new Scheduler() {
            @Override
            public void execute(Runnable task) {
                try {
                    pool.execute(failures.guard(task));
                } catch (RejectedExecutionException e) {
                    // Shut down: nothing left to do.
                }
            }

            @Override
            public Cancellable schedule(Runnable task, Duration delay) {
                try {
                    ScheduledFuture<?> future = timerThread.schedule(failures.guard(task), delay.toMillis(),
                            TimeUnit.MILLISECONDS);
                    return () -> future.cancel(false);
                } catch (RejectedExecutionException e) {
                    return () -> { };
                }
            }
        };
    }
}
