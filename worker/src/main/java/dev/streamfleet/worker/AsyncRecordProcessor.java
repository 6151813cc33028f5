package dev.streamfleet.worker;

import dev.streamfleet.core.PublicApi;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * A processor that finishes batches asynchronously, so that many can be in flight without a
 * thread each: {@link #processAsync} starts the work and returns at once; the batch counts as
 * processed when the stage completes normally, and as failed (offered again, as for
 * {@link #process}) when it completes exceptionally. {@code processAsync} is called on the unit's
 * own turn and must not block. Everything {@link ConcurrentRecordProcessor} says holds.
 */
@PublicApi
public interface AsyncRecordProcessor extends ConcurrentRecordProcessor {

    /** Starts processing {@code batch}; the stage completes when every record of it is processed. */
    CompletionStage<Void> processAsync(RecordBatch batch);

    /** Processes a batch by waiting for {@link #processAsync}; used at parallelism 1. */
    @Override
    default void process(RecordBatch batch, Checkpointer checkpointer) throws Exception {
        try {
            processAsync(batch).toCompletableFuture().join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }
}
