package dev.streamfleet.coordinator;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the failures of a worker's background tasks go, so that none is swallowed: each is logged
 * at ERROR with its stack trace, counted, and the last one is kept, for {@code /health} and
 * {@code /metrics}. A {@link java.util.concurrent.ScheduledExecutorService} keeps a task's
 * exception in a future that nobody reads, and ends a periodic task for good; every task a worker
 * schedules goes through {@link #guard} or an executor from {@link #singleThread} instead.
 * Thread-safe.
 */
public final class TaskFailures {

    private static final Logger LOG = LoggerFactory.getLogger(TaskFailures.class);

    private final String owner;
    private final AtomicLong count = new AtomicLong();
    private final AtomicReference<Failure> last = new AtomicReference<>();

    /** @param owner whose tasks these are, for the log: a worker id, say */
    public TaskFailures(String owner) {
        this.owner = owner;
    }

    /** Reports that a task on the current thread failed with {@code error}. */
    public void report(Throwable error) {
        count.incrementAndGet();
        String thread = Thread.currentThread().getName();
        last.set(new Failure(Instant.now(), thread, error.toString()));
        LOG.error("a background task of {} failed on thread {}; the task is lost, the thread goes on: {}", owner, thread,
                error.toString(), error);
    }

    /** How many tasks failed so far. */
    public long count() {
        return count.get();
    }

    /** The last failure. */
    public Optional<Failure> last() {
        return Optional.ofNullable(last.get());
    }

    /**
     * One task's failure.
     *
     * @param at     when
     * @param thread the thread it ran on
     * @param error  what it threw
     */
    public record Failure(Instant at, String thread, String error) {

        /** The later of two failures. */
        public static Optional<Failure> latest(Optional<Failure> one, Optional<Failure> other) {
            if (one.isEmpty()) {
                return other;
            }
            return other.isPresent() && other.get().at().isAfter(one.get().at()) ? other : one;
        }

        @Override
        public String toString() {
            return at + " on " + thread + ": " + error;
        }
    }

    /**
     * {@code task}, reporting what it throws instead of letting it go: on a scheduled executor a
     * periodic task that throws would never run again, and a one-shot task's exception would be
     * kept in a future nobody reads.
     */
    public Runnable guard(Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (Throwable e) {
                report(e);
            }
        };
    }

    /**
     * A single-threaded scheduled executor of daemon threads named {@code name}, that reports every
     * task that fails, however it was submitted ({@code execute}, {@code schedule}, periodic).
     * Nothing fails unseen on it; a periodic task that should survive its failures is still best
     * {@link #guard guarded}.
     */
    public ScheduledExecutorService singleThread(String name) {
        AtomicInteger threads = new AtomicInteger();
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, name + "-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        }) {
            @Override
            protected void afterExecute(Runnable task, Throwable thrown) {
                super.afterExecute(task, thrown);
                Throwable failure = thrown;
                if (failure == null && task instanceof Future<?> future && future.isDone() && !future.isCancelled()) {
                    try {
                        future.get();
                    } catch (ExecutionException e) {
                        failure = e.getCause();
                    } catch (CancellationException e) {
                        // Called off: not a failure.
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                if (failure != null) {
                    report(failure);
                }
            }
        };
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    @Override
    public String toString() {
        return "TaskFailures[" + owner + ": " + count.get() + "]";
    }
}
