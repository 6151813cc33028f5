package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.Position;
import dev.streamfleet.worker.Checkpointer;
import dev.streamfleet.worker.Fetch;
import dev.streamfleet.worker.RecordProcessor;

import java.time.Duration;
import java.util.Optional;

/**
 * How a unit reads its records and hands them to the processor: {@link SerialSteps}, one batch
 * at a time inside the unit's own message, or {@link LaneSteps}, batches of different keys out at
 * once. The unit ({@link UnitRunner}) keeps the mailbox, the lifecycle, the endings and the
 * checkpoints, and asks the steps what is processed. Every method runs on the unit's mailbox.
 */
interface UnitSteps {

    /** What the steps may ask of their unit; all of it on the unit's mailbox. */
    interface Host {
        void post(Runnable message);

        /** The unit is READING (not FAILED, not ending, not closed). */
        boolean reading();

        boolean paused();

        boolean stepScheduled();

        void scheduleStep(Duration delay, boolean forRecords);

        /** A fetch, or null when the source asked for a pause (the next step is then scheduled). */
        Fetch fetchOrWait();

        Duration nextDelay(Fetch last);

        /** Writes a checkpoint if one is due; a fenced write loses the unit, a failed one is retried later. */
        void checkpointIfDue(boolean mustWrite);

        void fail(String reason);

        void lose(String reason);

        /** The shard was read to its end and every record of it is finished. */
        void end();

        RecordProcessor processor();

        /** The checkpointer a serial processor gets with each batch. */
        Checkpointer checkpointer();
    }

    /** Reads, hands out, and schedules the next step through the host. */
    void step();

    /** Whether a batch is with the processor, or waits to be offered again, beside the mailbox. */
    boolean hasOut();

    /** Hands nothing more out, and runs {@code action} once no batch is out. */
    void stopThen(Runnable action);

    /** The last record such that it and every record before it are processed; empty when there is none. */
    Optional<Position> processed();

    /** The records processed beyond {@link #processed}, when they finish out of order. */
    FinishedBeyond finishedBeyond();

    /**
     * The last record the processor may checkpoint itself now: while a batch is in its hands, that
     * batch's last; otherwise what is processed. Never a record of a batch that threw.
     */
    Optional<Position> handedOver();
}
