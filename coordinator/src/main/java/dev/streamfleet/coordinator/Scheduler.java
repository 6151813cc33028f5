package dev.streamfleet.coordinator;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Where work runs and how it waits: an executor in production, a hand-driven queue and clock in
 * tests, so that races between a unit, its lease and the connection can be played step by step.
 */
public interface Scheduler {

    /** Runs {@code task} soon; after shutdown, quietly not at all. */
    void execute(Runnable task);

    /** Runs {@code task} after {@code delay}, unless cancelled first; after shutdown, quietly not at all. */
    Cancellable schedule(Runnable task, Duration delay);

    /** Runs {@code then} here with the stage's outcome, once the stage completes on whatever thread it does. */
    default <T> void whenDone(CompletionStage<T> stage, BiConsumer<T, Throwable> then) {
        stage.whenComplete((value, error) -> execute(() -> then.accept(value, error)));
    }

    /** A scheduled task that may still be called off. */
    interface Cancellable {
        /** Calls the task off if it has not started; harmless afterwards. */
        void cancel();
    }

    /** Runs on {@code executor}; tasks that arrive after it shut down are dropped. */
    static Scheduler of(ScheduledExecutorService executor) {
        return new Scheduler() {
            @Override
            public void execute(Runnable task) {
                try {
                    executor.execute(task);
                } catch (RejectedExecutionException e) {
                    // Shut down: nothing left to do.
                }
            }

            @Override
            public Cancellable schedule(Runnable task, Duration delay) {
                try {
                    ScheduledFuture<?> future = executor.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
                    return () -> future.cancel(false);
                } catch (RejectedExecutionException e) {
                    return () -> { };
                }
            }
        };
    }
}
