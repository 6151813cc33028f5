package dev.streamfleet.worker;

import dev.streamfleet.core.PublicApi;

/**
 * A processor that may be handed batches of one unit concurrently: at
 * {@code processing.parallelism} above 1 with ordering {@code key} or {@code none}, the worker
 * only runs processors that implement this, and says so at start when one does not.
 *
 * <p>Each batch then holds the records of one lane (one partition key with ordering
 * {@code key}; one record with {@code none}), in stream order. Batches of different lanes run at
 * the same time on different threads; two batches of one lane never do, and they come in stream
 * order. {@link #initialize}, {@link #revoked}, {@link #lost} and {@link #shardEnded} still run
 * alone: after every batch in flight has returned, never beside one. The worker checkpoints what
 * is finished itself; {@link Checkpointer#checkpoint()} asks it to do so now, and
 * {@link Checkpointer#checkpoint(dev.streamfleet.core.Position)} is refused.
 */
@PublicApi
public interface ConcurrentRecordProcessor extends RecordProcessor {
}
