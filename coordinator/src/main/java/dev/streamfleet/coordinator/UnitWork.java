package dev.streamfleet.coordinator;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * The reading of one unit on one worker, as the lease keeper drives it. The worker module
 * implements it with Kinesis and Kafka readers. No method blocks: each only hands the unit a
 * command, which the unit takes between its own steps; the stages returned complete from the
 * unit, once it has taken the command.
 */
public interface UnitWork {

    /** Stop fetching until {@link #resume}: ZooKeeper is SUSPENDED and ownership is uncertain. */
    void pause();

    /** Fetch again after a {@link #pause}: the lease is confirmed. */
    void resume();

    /**
     * The unit is taken away: stop fetching, let the processor finish the batch in hand, write the
     * final checkpoint if that happens within {@code timeout}.
     *
     * @return completes with true once the final checkpoint is written; with false when the unit
     *     was dropped without one (the deadline passed, the unit had failed, or the write was
     *     fenced). It never completes while the processor is still running, so the lease may be
     *     deleted as soon as it does.
     */
    CompletionStage<Boolean> revoke(Duration timeout, RevokeReason reason);

    /**
     * The unit is lost: stop at once and write nothing. Completes once the processor has heard
     * it, which is after the batch in hand, if any, returns.
     */
    CompletionStage<Void> abandon(String reason);
}
