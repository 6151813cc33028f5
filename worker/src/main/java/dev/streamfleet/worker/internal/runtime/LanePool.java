package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.coordinator.TaskFailures;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads of blocking processors' lanes and of dead-letter sends: at most {@code bound} tasks
 * run at once, the rest wait in order, and a thread that has finished its task takes the next one
 * or idles for a minute before it ends.
 *
 * <p>A fixed {@link ThreadPoolExecutor} of {@code bound} core threads would bound the tasks too,
 * but it starts a new thread for every task until it has {@code bound} of them, even while
 * others idle; at parallelism 256 on 8 unit threads that is 2,048 threads started by every
 * worker that drains a backlog. Here a task runs on an idle thread when there is one, so a worker
 * starts about as many threads as it has tasks running at once.
 *
 * <p>The waiting tasks and the count of running drainers are shared by every thread that hands
 * out work and every lane thread, so they are a concurrent queue and an atomic count; nothing
 * else is shared.
 */
final class LanePool implements Executor, AutoCloseable {

    private final int bound;
    private final ThreadPoolExecutor threads;
    private final Queue<Runnable> waiting = new ConcurrentLinkedQueue<>();
    /** Threads that take waiting tasks now; never above {@link #bound}. */
    private final AtomicInteger draining = new AtomicInteger();
    private final TaskFailures failures;

    LanePool(int bound, ThreadFactory factory) {
        this(bound, factory, new TaskFailures("lane pool"));
    }

    /** @param failures where a task that throws is reported: it never ends its lane thread unseen */
    LanePool(int bound, ThreadFactory factory, TaskFailures failures) {
        if (bound < 1) {
            throw new IllegalArgumentException("a lane pool runs at least one task at once, not " + bound);
        }
        this.bound = bound;
        this.failures = failures;
        this.threads = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
                factory);
    }

    /** Runs {@code task} on a lane thread: at once if fewer than the bound run, otherwise after those before it. */
    @Override
    public void execute(Runnable task) {
        waiting.add(task);
        drainIfRoom();
    }

    /** Lane threads that are running a task now (the others idle, waiting for one). */
    int busyThreads() {
        return threads.getActiveCount();
    }

    /** Stops every lane thread; a task not started yet never runs. */
    @Override
    public void close() {
        threads.shutdownNow();
        waiting.clear();
        // A drainer that was past its check when the pool stopped polls an empty queue.
    }

    private void drainIfRoom() {
        while (!waiting.isEmpty()) {
            int now = draining.get();
            if (now >= bound) {
                // A drainer that finds the queue empty checks again after it stops counting.
                return;
            }
            if (draining.compareAndSet(now, now + 1)) {
                try {
                    threads.execute(this::drain);
                } catch (RuntimeException | Error e) {
                    // No thread (closed, or none could be made): the count must not keep a drainer that never ran.
                    draining.decrementAndGet();
                    throw e;
                }
                return;
            }
        }
    }

    private void drain() {
        try {
            Runnable task;
            while (!threads.isShutdown() && (task = waiting.poll()) != null) {
                failures.guard(task).run();
            }
        } finally {
            draining.decrementAndGet();
            // A task added after the last poll and before the decrement found no room; it runs now.
            if (!threads.isShutdown()) {
                drainIfRoom();
            }
        }
    }
}
