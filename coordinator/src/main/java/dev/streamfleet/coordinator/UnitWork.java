package dev.streamfleet.coordinator;

import java.time.Duration;

/**
 * The reading of one unit on one worker, as the coordinator drives it. The worker module
 * implements it with Kinesis and Kafka readers. The coordinator calls these methods from its
 * own threads, never two at once for one unit.
 */
public interface UnitWork {

    /** Stop fetching until {@link #resume}: ZooKeeper is SUSPENDED and ownership is uncertain. */
    void pause();

    /** Fetch again after a {@link #pause}: the lease is confirmed. */
    void resume();

    /**
     * The unit was revoked: stop fetching, let the processor finish the batch in hand, write the
     * final checkpoint. Blocks at most {@code timeout}.
     *
     * @return true when the final checkpoint was written; false when the unit had to be dropped
     *     without one (the timeout passed, or the write was fenced)
     */
    boolean drain(Duration timeout);

    /** The unit is lost: stop at once, write nothing. */
    void abandon();
}
