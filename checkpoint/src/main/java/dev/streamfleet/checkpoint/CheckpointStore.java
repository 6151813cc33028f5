package dev.streamfleet.checkpoint;

import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.util.List;
import java.util.Optional;

/**
 * The positions of one application's units, with every write fenced by the epoch of the
 * lease that claimed the unit (docs/design.md §2).
 *
 * <p>A new owner first {@link #claim claims} a unit, which succeeds only when its epoch is newer
 * than the stored one; from then on its {@link #checkpoint checkpoints} and {@link #markEnded}
 * succeed only while the stored epoch is still its own. A failed fence is an
 * {@link OwnershipLostException}, which is never retried. Positions never move backwards except
 * through the administrative {@link #reset}, and ENDED is terminal.
 *
 * <p>A row this build does not trust (an attribute that does not parse, a newer row format) is
 * never read as a position: {@link #read} and {@link #list} return it {@link Checkpoint#isQuarantined
 * quarantined}, with the reason, and every write to it, a claim included, fails with a
 * {@link QuarantinedRowException} and leaves it as it is (docs/design.md §"What is trusted").
 *
 * <p>Implementations are thread-safe. Every failure is a {@link CheckpointException} with a
 * one-line message.
 */
public interface CheckpointStore {

    /** The application whose units this store holds. */
    String application();

    /**
     * Claims the unit for a new lease and returns the row as it is now, whose position is where
     * the new owner resumes.
     *
     * @throws OwnershipLostException        when the stored epoch is not older than {@code epoch}
     * @throws ForeignFencingDomainException when the row was claimed under another fencing domain
     * @throws QuarantinedRowException       when this build does not trust the row; claiming again changes nothing
     */
    Checkpoint claim(UnitId unit, Epoch epoch, String owner);

    /**
     * Records that the unit was processed up to {@code position}, a record position of the
     * unit's kind. Writing the stored position again is allowed and changes nothing.
     *
     * @throws OwnershipLostException       when {@code epoch} is not the stored epoch
     * @throws UnitEndedException           when the unit is ENDED
     * @throws PositionRegressionException  when {@code position} is before the stored one
     */
    default void checkpoint(UnitId unit, Position position, Epoch epoch) {
        checkpoint(unit, position, FinishedBeyond.NONE, epoch);
    }

    /**
     * Records that every record of the unit up to {@code position} is processed, and of the
     * records after it those in {@code finished}. The same rules as for a plain checkpoint apply;
     * writing the stored position again with another set replaces the set.
     *
     * @throws OwnershipLostException       when {@code epoch} is not the stored epoch
     * @throws UnitEndedException           when the unit is ENDED
     * @throws PositionRegressionException  when {@code position} is before the stored one
     */
    void checkpoint(UnitId unit, Position position, FinishedBeyond finished, Epoch epoch);

    /**
     * Marks the unit ENDED: a shard was read to its end. Idempotent for the same epoch.
     *
     * @throws OwnershipLostException when {@code epoch} is not the stored epoch
     */
    void markEnded(UnitId unit, Epoch epoch);

    /**
     * The unit's row, read consistently; empty when the unit was never claimed or reset. A row this
     * build does not trust is returned quarantined, never as an exception.
     */
    Optional<Checkpoint> read(UnitId unit);

    /**
     * Every row of this application, in unit order, quarantined ones included with their reasons. May
     * lag a just-completed write by a moment.
     */
    List<Checkpoint> list();

    /**
     * Administrative: moves the unit's position anywhere, backwards included, and clears its
     * claim and any records finished beyond the old position, so that a worker still reading the unit cannot write over the reset: its next
     * checkpoint is fenced, and it resumes from the new position after claiming again. Creates
     * the row when the unit has none, so a fleet can be told where to start.
     *
     * @throws UnitEndedException when the unit is ENDED
     */
    void reset(UnitId unit, Position position);

    /**
     * Creates the unit's row at a start, unclaimed, unless the unit already has a row; an existing
     * row, claimed or not, is never changed. The leader uses it to decide where a unit starts
     * before anyone may claim it (docs/design.md §2a): a unit that appeared while the application
     * runs at its beginning, and a unit of the application's first start at its initial position
     * resolved once, so that every later owner starts at the same point. Safe to repeat, and safe
     * to race a claim: the first write of the row wins.
     *
     * @param start {@link Position#TRIM_HORIZON}, an AT_TIMESTAMP, or a record position (a Kafka
     *              end offset that LATEST resolved to: the records before it are not to be read);
     *              never LATEST, which would move with every owner
     * @return whether this call created the row; false when the unit had one (which, after a
     *         retried request, may be the row this call's first attempt wrote)
     * @throws IllegalArgumentException when {@code start} is LATEST
     */
    boolean seed(UnitId unit, Position start);

    /**
     * Administrative: forgets the unit's claim (epoch and owner), keeping its position and
     * state, so that a lease of any fencing domain may claim it next. This is how positions
     * written under a lost ZooKeeper history are adopted by a rebuilt one; an owner that still
     * runs loses the unit at its next write. Does nothing when the unit has no row.
     */
    void clearClaim(UnitId unit);
}
