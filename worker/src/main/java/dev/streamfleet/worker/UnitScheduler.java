package dev.streamfleet.worker;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Where a unit's work runs and how it waits: the worker's shared pool in production, a
 * hand-driven queue and clock in tests, so that a unit's races can be played step by step.
 */
interface UnitScheduler {

    /** Runs {@code task} soon on one of the pool's threads. */
    void execute(Runnable task);

    /** Runs {@code task} on the pool after {@code delay}, unless cancelled first. */
    Cancellable schedule(Runnable task, Duration delay);

    /** A scheduled task that may still be called off. */
    interface Cancellable {
        /** Calls the task off if it has not started; harmless afterwards. */
        void cancel();
    }

    /** The worker's shared pool. */
    static UnitScheduler of(ScheduledExecutorService pool) {
        return new UnitScheduler() {
            @Override
            public void execute(Runnable task) {
                pool.execute(task);
            }

            @Override
            public Cancellable schedule(Runnable task, Duration delay) {
                ScheduledFuture<?> future = pool.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
                return () -> future.cancel(false);
            }
        };
    }
}
