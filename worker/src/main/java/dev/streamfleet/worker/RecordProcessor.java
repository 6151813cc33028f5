package dev.streamfleet.worker;

import dev.streamfleet.core.PublicApi;

/**
 * The user's code: receives the records of one unit, in order, on one thread at a time.
 * One instance serves one unit from {@link #initialize} to exactly one of {@link #revoked},
 * {@link #lost} or {@link #shardEnded}.
 *
 * <p>Threads: every callback of one instance runs on the worker's shared unit pool
 * ({@code processing.threads}), one at a time and in order, never two at once, though not
 * always on the same thread; the worker guarantees the happens-before between them, so the
 * instance needs no locks. Instances of different units run concurrently. The factory that
 * creates the instance is called on the same pool, just before {@link #initialize}.
 *
 * <p>A revoke or a loss that arrives while {@link #process} runs waits for it to return. After
 * a unit stopped as FAILED (the processor kept failing on a batch), the instance still hears
 * {@link #lost} when the unit is taken away.
 *
 * <p>Delivery is at least once: after a crash, the records since the unit's last checkpoint are
 * handed over again. A graceful move (revoke) delivers nothing twice.
 */
@PublicApi
public interface RecordProcessor {

    /** The unit starts on this worker. */
    default void initialize(ProcessorContext context) {
    }

    /**
     * Processes a batch. Returning normally means every record of it is processed; the worker
     * then checkpoints on its schedule. Throwing means none of it is: the same batch is offered
     * again after a backoff, a bounded number of times, after which the unit stops and reports
     * the failure. Nothing is ever skipped.
     */
    void process(RecordBatch batch, Checkpointer checkpointer) throws Exception;

    /**
     * The unit is taken away while this worker still holds it: it moves to another worker, or
     * this worker is leaving ({@link RevokeContext#reason}). The worker writes a final checkpoint
     * after this returns; the processor may also. Comes only after the last {@code process} has
     * returned, and only within {@code processing.drainTimeout} of the revoke, while ZooKeeper has
     * confirmed this worker's session lately (a revoke that finds it unconfirmed waits for the next
     * confirmation); past that deadline the processor hears {@link #lost} instead.
     */
    default void revoked(RevokeContext context, Checkpointer checkpointer) {
    }

    /**
     * The unit was lost: another worker may own it already. Do not checkpoint; release resources.
     * Also heard by a unit that stopped as FAILED when it is taken away.
     */
    default void lost(LostContext context) {
    }

    /** The shard was read to its end. The worker writes a final checkpoint and marks it ENDED after this returns. */
    default void shardEnded(ShardEndContext context, Checkpointer checkpointer) {
    }
}
