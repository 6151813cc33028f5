package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.coordinator.Scheduler;
import dev.streamfleet.coordinator.TaskFailures;
import dev.streamfleet.worker.WorkerRuntime;

import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads a worker's units run on: a pool for their messages ({@code processing.threads} of the
 * worker's own, or the application's), a timer thread of the worker's own, and a bounded pool for
 * the lanes of blocking processors and for dead-letter sends.
 *
 * <p>The timers are apart because processors may never return: with as many hung processors as
 * pool threads, timers that needed a pool thread would never fire, and with them neither the
 * STALLED watchdog nor the revoke's stuck handler, which are what end such a worker. On a thread
 * of their own they fire whatever the pool does; they only post to mailboxes or hand work over.
 */
final class UnitThreads implements AutoCloseable {

    private final ScheduledExecutorService timerThread;
    private final ExecutorService pool;
    /** The pool when the worker made it; an application's pool stays the application's. */
    private final Optional<ExecutorService> ownedPool;
    private final Executor lanes;
    private final Scheduler scheduler;
    private final TaskFailures failures;

    UnitThreads(ScheduledExecutorService timerThread, ExecutorService pool, Optional<ExecutorService> ownedPool,
                Executor lanes, TaskFailures failures) {
        this.timerThread = timerThread;
        this.pool = pool;
        this.ownedPool = ownedPool;
        this.lanes = lanes;
        this.failures = failures;
        // A unit's message or timer that throws is reported, never lost in a future or a dead pool thread.
        this.scheduler = Scheduler.of(timerThread, pool, failures);
    }

    /** The worker's timer thread and lane pool, and its own unit pool unless the runtime brings one. */
    static UnitThreads start(WorkerSettings settings, WorkerRuntime runtime, TaskFailures failures) {
        ScheduledThreadPoolExecutor timerThread = new ScheduledThreadPoolExecutor(1, daemons("streamfleet-timers"));
        timerThread.setRemoveOnCancelPolicy(true);
        ExecutorService pool = runtime.unitPool().<ExecutorService>map(application -> application)
                .orElseGet(() -> bounded(settings.threads(), daemons("streamfleet-unit")));
        Optional<ExecutorService> ownedPool = runtime.unitPool().isPresent() ? Optional.empty() : Optional.of(pool);
        return new UnitThreads(timerThread, pool, ownedPool, new LanePool(laneBound(settings), daemons("streamfleet-lane"), failures),
                failures);
    }

    /**
     * As many lane threads as the unit pool has threads, times a unit's parallelism: each unit has at
     * most its parallelism out, and beyond that bound runs and dead-letter sends wait their turn.
     */
    static int laneBound(WorkerSettings settings) {
        return Math.multiplyExact(settings.threads(), Math.max(1, settings.parallelism().parallelism()));
    }

    /** How the units wait and where their messages run: timers on the timer thread, messages on the pool. */
    Scheduler scheduler() {
        return scheduler;
    }

    /** Where the failures of the units' tasks and timers are reported. */
    TaskFailures failures() {
        return failures;
    }

    /** Where blocking processors' lanes run, and dead-letter sends. */
    Executor lanes() {
        return lanes;
    }

    /** Lets the pool finish what it holds (a few seconds at most), then stops every thread the worker made. */
    @Override
    public void close() {
        ownedPool.ifPresent(owned -> {
            owned.shutdown();
            try {
                owned.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            owned.shutdownNow();
        });
        timerThread.shutdownNow();
        if (lanes instanceof LanePool owned) {
            owned.close();
        }
    }

    private static ExecutorService bounded(int threads, ThreadFactory factory) {
        ThreadPoolExecutor executor = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), factory);
        executor.allowCoreThreadTimeOut(true);
        return executor;
    }

    private static ThreadFactory daemons(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
