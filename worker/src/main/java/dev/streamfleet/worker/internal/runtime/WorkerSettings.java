package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.core.Backoff;
import dev.streamfleet.worker.DeadLetterSink;
import dev.streamfleet.worker.Parallelism;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

import org.slf4j.LoggerFactory;

/**
 * How every unit of a worker behaves.
 *
 * @param checkpoint     when checkpoints are written
 * @param processorRetry how often, and how far apart, a failing batch is offered again before the unit stops
 * @param threads        threads shared by all units of the worker; lanes of blocking processors have their own pool
 *                       of {@code threads} times the parallelism, which dead-letter sends share
 * @param stuckAfter     how long past a revoke's deadline a batch may still run before the worker is stuck
 * @param stallAfter     how long a unit may go without processing a record while records wait before it is STALLED
 * @param onStuck        what a stuck worker does, told why; by default it logs and exits the JVM with code 70,
 *                       so that its ZooKeeper session expires and its units move to other workers. It is called
 *                       on the worker's timer thread, which every unit's timers share: it must not block
 * @param parallelism    how many batches of one unit may be processed at once, in which order
 * @param deadLetters    where a record goes that the processor failed on through every attempt; empty: the
 *                       unit stops as FAILED instead
 */
public record WorkerSettings(CheckpointPolicy checkpoint, Backoff processorRetry, int threads, Duration stuckAfter,
                             Consumer<String> onStuck, Duration stallAfter, Parallelism parallelism,
                             Optional<DeadLetterSink> deadLetters) {

    public static final int DEFAULT_THREADS = 8;
    public static final Backoff DEFAULT_PROCESSOR_RETRY = new Backoff(4, Duration.ofMillis(200), Duration.ofSeconds(5));
    public static final Duration DEFAULT_STUCK_AFTER = Duration.ofSeconds(60);
    public static final Duration DEFAULT_STALL_AFTER = Duration.ofMinutes(5);
    /** The exit code of a worker whose processor never returned from a batch. */
    public static final int STUCK_EXIT_CODE = 70;
    public static final Consumer<String> EXIT_WHEN_STUCK = reason -> {
        LoggerFactory.getLogger(WorkerSettings.class).error("{}; this worker cannot hand the unit over and exits"
                + " (code {}) so that its session expires and its units move", reason, STUCK_EXIT_CODE);
        Runtime.getRuntime().halt(STUCK_EXIT_CODE);
    };

    public WorkerSettings {
        Objects.requireNonNull(checkpoint, "checkpoint");
        Objects.requireNonNull(processorRetry, "processorRetry");
        Objects.requireNonNull(stuckAfter, "stuckAfter");
        Objects.requireNonNull(onStuck, "onStuck");
        Objects.requireNonNull(stallAfter, "stallAfter");
        Objects.requireNonNull(parallelism, "parallelism");
        Objects.requireNonNull(deadLetters, "deadLetters");
        if (stallAfter.isNegative() || stallAfter.isZero()) {
            throw new IllegalArgumentException("stallAfter must be positive, not " + stallAfter);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        }
        if (stuckAfter.isNegative() || stuckAfter.isZero()) {
            throw new IllegalArgumentException("stuckAfter must be positive, not " + stuckAfter);
        }
    }

    public WorkerSettings(CheckpointPolicy checkpoint, Backoff processorRetry, int threads) {
        this(checkpoint, processorRetry, threads, DEFAULT_STUCK_AFTER, EXIT_WHEN_STUCK, DEFAULT_STALL_AFTER, Parallelism.NONE,
                Optional.empty());
    }

    public static WorkerSettings defaults() {
        return new WorkerSettings(new CheckpointPolicy(CheckpointPolicy.DEFAULT_INTERVAL), DEFAULT_PROCESSOR_RETRY,
                DEFAULT_THREADS);
    }

    public WorkerSettings withCheckpointInterval(Duration interval) {
        return new WorkerSettings(new CheckpointPolicy(interval), processorRetry, threads, stuckAfter, onStuck, stallAfter,
                parallelism, deadLetters);
    }

    /** These settings with {@code threads} unit threads and {@code attempts} offers of a failing batch. */
    public WorkerSettings withProcessing(int threads, int attempts) {
        return new WorkerSettings(checkpoint, new Backoff(attempts, processorRetry.base(), processorRetry.max()), threads,
                stuckAfter, onStuck, stallAfter, parallelism, deadLetters);
    }

    /** These settings with another answer to a batch that never returns. */
    public WorkerSettings withStuckHandling(Duration after, Consumer<String> handler) {
        return new WorkerSettings(checkpoint, processorRetry, threads, after, handler, stallAfter, parallelism,
                deadLetters);
    }

    /** These settings with another bound for a batch past its revoke's deadline, or past a drop; same answer to it. */
    public WorkerSettings withStuckAfter(Duration after) {
        return withStuckHandling(after, onStuck);
    }

    /** These settings with batches of one unit processed {@code with} at once. */
    public WorkerSettings withParallelism(Parallelism with) {
        return new WorkerSettings(checkpoint, processorRetry, threads, stuckAfter, onStuck, stallAfter, with, deadLetters);
    }

    /** These settings with failed records written to {@code sink} instead of stopping their unit. */
    public WorkerSettings withDeadLetters(DeadLetterSink sink) {
        return new WorkerSettings(checkpoint, processorRetry, threads, stuckAfter, onStuck, stallAfter, parallelism,
                Optional.of(sink));
    }

    /**
     * Whether a unit's records go through lanes: only when batches may be out at once. Dead letters
     * do not change the path, so a serial processor keeps its whole contract with them.
     */
    boolean usesLanes() {
        return parallelism.isConcurrent();
    }

    /** These settings with another bound for STALLED. */
    public WorkerSettings withStallAfter(Duration bound) {
        return new WorkerSettings(checkpoint, processorRetry, threads, stuckAfter, onStuck, bound, parallelism,
                deadLetters);
    }
}
