package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;

/**
 * One worker's view of the lease znodes and of its assignment, as the {@link LeaseKeeper} uses
 * them. Every call is asynchronous: it returns at once, and its stage completes from the
 * store's own thread. Watches fire once; connection events never fire them.
 */
public interface LeaseNodes {

    /**
     * Reads this worker's assignment, empty when the leader has published none, and runs
     * {@code onChange} once when it changes or appears. An assignment node that exists but cannot
     * be read fails the stage with {@link UnreadableAssignmentException}, and {@code onChange}
     * still runs on its next change.
     */
    CompletionStage<Optional<AssignedUnits>> readAssignment(Runnable onChange);

    /** Creates the unit's lease for this worker: its creation zxid, or empty when a lease for the unit exists. */
    CompletionStage<OptionalLong> create(UnitId unit, long generation);

    /** Runs {@code onDeleted} once when the unit's lease is deleted; returns the lease as it is now. */
    CompletionStage<Optional<Lease>> watch(UnitId unit, Runnable onDeleted);

    /**
     * Deletes the unit's lease if it is still the one created at {@code czxid}. A delete that the
     * connection prevents waits for it to come back with the same session; the stage completes
     * once the lease is gone, is not that one any more, or went with a lost session.
     */
    CompletionStage<Void> delete(UnitId unit, long czxid);

    /**
     * Whether the unit's lease is still the one created at {@code czxid}, in this worker's session;
     * fails, rather than saying no, when the check could not be made.
     */
    CompletionStage<Boolean> stillHeld(UnitId unit, long czxid);

    /** Tells the leader that the unit was read to its end. */
    CompletionStage<Void> reportEnded(UnitId unit);

    /** Removes every watch this view set. */
    void removeWatches();

    /**
     * A lease that exists.
     *
     * @param czxid the zxid that created it
     * @param ours  whether it belongs to this worker's session (a leftover of an earlier round)
     */
    record Lease(long czxid, boolean ours) {
    }
}
