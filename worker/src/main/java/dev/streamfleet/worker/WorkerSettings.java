package dev.streamfleet.worker;

import dev.streamfleet.core.Backoff;

import java.time.Duration;
import java.util.Objects;

/**
 * How every unit loop of a worker behaves.
 *
 * @param checkpoint      when checkpoints are written
 * @param processorRetry  how often, and how far apart, a failing batch is offered again before the unit stops
 * @param threads         threads shared by all unit loops of the worker
 */
public record WorkerSettings(CheckpointPolicy checkpoint, Backoff processorRetry, int threads) {

    public static final int DEFAULT_THREADS = 8;
    public static final Backoff DEFAULT_PROCESSOR_RETRY = new Backoff(4, Duration.ofMillis(200), Duration.ofSeconds(5));

    public WorkerSettings {
        Objects.requireNonNull(checkpoint, "checkpoint");
        Objects.requireNonNull(processorRetry, "processorRetry");
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        }
    }

    public static WorkerSettings defaults() {
        return new WorkerSettings(new CheckpointPolicy(CheckpointPolicy.DEFAULT_INTERVAL), DEFAULT_PROCESSOR_RETRY,
                DEFAULT_THREADS);
    }

    public WorkerSettings withCheckpointInterval(Duration interval) {
        return new WorkerSettings(new CheckpointPolicy(interval), processorRetry, threads);
    }

    /** These settings with {@code threads} unit threads and {@code attempts} offers of a failing batch. */
    public WorkerSettings withProcessing(int threads, int attempts) {
        return new WorkerSettings(checkpoint, new Backoff(attempts, processorRetry.base(), processorRetry.max()), threads);
    }
}
