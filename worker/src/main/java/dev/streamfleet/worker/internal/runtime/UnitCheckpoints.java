package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.checkpoint.CheckpointException;
import dev.streamfleet.checkpoint.OwnershipLostException;
import dev.streamfleet.checkpoint.QuarantinedRowException;
import dev.streamfleet.checkpoint.UnitEndedException;
import dev.streamfleet.coordinator.UnitContext;
import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.MonotonicClock;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.SourceKind;
import dev.streamfleet.worker.RecordSource;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one writer of a unit's checkpoints and of its end mark. Every write, whether the unit's own
 * (periodic, final, at shard end) or one the processor asked for, goes through here and comes
 * back as an {@link Outcome} instead of an exception, so that every caller follows one policy:
 * a transient failure is retried later (not before {@link #RETRY_AFTER}) and never stops the
 * unit; a fenced write means another owner may be reading and the unit must stop at once.
 *
 * <p>It never writes a position before the last one written: a processor may have checkpointed
 * inside a batch that then failed, and the unit's own write of what it processed must not move
 * the row backwards.
 *
 * <p>Every write is on the status ({@link StalledUnits}) while it takes long or after it failed,
 * until one lands: a store out of reach holds the unit inside a write for as long as the store's
 * own retries last, and nothing else would show that.
 *
 * <p>Runs on the unit's mailbox only.
 */
final class UnitCheckpoints {

    /** How long after a failed write the unit's own writes wait before trying again. */
    static final Duration RETRY_AFTER = Duration.ofSeconds(1);
    private static final Logger LOG = LoggerFactory.getLogger(UnitCheckpoints.class);

    /** What became of a write. */
    enum Outcome {
        /** Written, or nothing needed writing. */
        WRITTEN,
        /** The store failed transiently; nothing is known to be written, and a later write will try again. */
        RETRY_LATER,
        /**
         * Another owner holds the row, the row is ENDED, or it became a row this build does not write over
         * (a newer build's): this worker must not read the unit any more. Claimed again, a quarantined row
         * leaves the unit FAILED with its reason.
         */
        FENCED
    }

    private final UnitContext context;
    private final RecordSource source;
    private final UnitMetrics metrics;
    private final StalledUnits troubles;
    private final MonotonicClock clock;
    /** The last record position written (or claimed), or null while there is none. */
    private Position written;
    /**
     * The starting point the unit was claimed at, when it may stand for a watermark: a Kinesis
     * unit none of whose records is finished since then stores its records finished beyond that
     * point (TRIM_HORIZON or a timestamp; never LATEST, which moves). Null otherwise.
     */
    private final Position start;
    private FinishedBeyond writtenFinished;
    private Instant writtenAt;
    private Instant retryNotBefore = Instant.MIN;
    private String fencedReason;

    UnitCheckpoints(UnitContext context, RecordSource source, UnitMetrics metrics, StalledUnits troubles, MonotonicClock clock) {
        this.context = context;
        this.source = source;
        this.metrics = metrics;
        this.troubles = troubles;
        this.clock = clock;
        this.written = context.claimed().position().filter(Position::isRecordPosition).orElse(null);
        this.start = context.claimed().position()
                .filter(position -> context.unit().kind() == SourceKind.KINESIS && !position.isRecordPosition()
                        && !(position instanceof Position.Latest))
                .orElse(null);
        this.writtenFinished = context.claimed().finished();
        this.writtenAt = clock.instant();
    }

    /** The last record position written (or claimed), or null when there is none. */
    Position written() {
        return written;
    }

    FinishedBeyond writtenFinished() {
        return writtenFinished;
    }

    Instant writtenAt() {
        return writtenAt;
    }

    /** Why the unit was fenced, once a write was; the unit must stop reading then. */
    Optional<String> fenced() {
        return Optional.ofNullable(fencedReason);
    }

    /** Whether a failed write asked the unit's own writes to wait a little longer. */
    boolean backingOff() {
        return clock.instant().isBefore(retryNotBefore);
    }

    /**
     * Writes what {@code steps} have processed, if {@code policy} says it is due (or now, with
     * {@code mustWrite}); its outcome, WRITTEN when nothing was due. The set of records finished
     * beyond the watermark is only worked out when a write is due.
     */
    Outcome writeIfDue(UnitSteps steps, CheckpointPolicy policy, boolean mustWrite) {
        if (!mustWrite && backingOff()) {
            return Outcome.RETRY_LATER;
        }
        Instant now = clock.instant();
        // Before any record is finished since the starting point, the records finished beyond it are
        // stored with the starting point itself, so that neither a move nor a crash delivers them again.
        Position watermark = steps.processed().filter(Position::isRecordPosition)
                .orElse(written == null ? start : null);
        if (watermark == null || !policy.shouldWrite(true, writtenAt, now, mustWrite)) {
            return Outcome.WRITTEN;
        }
        FinishedBeyond finished = steps.finishedBeyond();
        if (!watermark.isRecordPosition() && finished.isEmpty()) {
            return Outcome.WRITTEN;
        }
        // The row holds the starting point (with a set) while no record position was written and a set was.
        Position stored = written != null ? written : writtenFinished.isEmpty() ? null : start;
        boolean moved = !watermark.equals(stored) || !finished.equals(writtenFinished);
        return policy.shouldWrite(moved, writtenAt, now, mustWrite) ? write(watermark, finished) : Outcome.WRITTEN;
    }

    /** Writes {@code position} with the records finished beyond it, unless it lies before what is written. */
    Outcome write(Position position, FinishedBeyond finished) {
        if (fencedReason != null) {
            return Outcome.FENCED;
        }
        if (written != null && (CheckpointRange.isBefore(position, written) || !position.isRecordPosition())) {
            return Outcome.WRITTEN;
        }
        long started = System.nanoTime();
        troubles.checkpointWriting(context.unit(), clock.instant());
        try {
            context.store().checkpoint(context.unit(), position, finished, context.epoch());
        } catch (OwnershipLostException | UnitEndedException | QuarantinedRowException e) {
            return fence(e);
        } catch (CheckpointException e) {
            return retryLater("checkpoint", e);
        }
        troubles.checkpointRecovered(context.unit());
        metrics.checkpointed(System.nanoTime() - started);
        if (position.isRecordPosition()) {
            source.checkpointed(position);
            written = position;
        }
        writtenFinished = finished;
        writtenAt = clock.instant();
        retryNotBefore = Instant.MIN;
        return Outcome.WRITTEN;
    }

    /** Marks the unit ENDED; marking it again with the same epoch (a write that landed but timed out) is harmless. */
    Outcome markEnded() {
        if (fencedReason != null) {
            return Outcome.FENCED;
        }
        troubles.checkpointWriting(context.unit(), clock.instant());
        try {
            context.store().markEnded(context.unit(), context.epoch());
            troubles.checkpointRecovered(context.unit());
            return Outcome.WRITTEN;
        } catch (OwnershipLostException | UnitEndedException | QuarantinedRowException e) {
            return fence(e);
        } catch (CheckpointException e) {
            return retryLater("marking it ENDED", e);
        }
    }

    private Outcome fence(CheckpointException e) {
        troubles.checkpointRecovered(context.unit());
        fencedReason = e.getMessage();
        return Outcome.FENCED;
    }

    private Outcome retryLater(String what, CheckpointException e) {
        metrics.failed();
        troubles.checkpointFailed(context.unit(), what + ": " + e.getMessage());
        retryNotBefore = clock.instant().plus(RETRY_AFTER);
        LOG.warn("{}: {} failed, will retry: {}", context.unit(), what, e.getMessage());
        return Outcome.RETRY_LATER;
    }
}
