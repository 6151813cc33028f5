package dev.streamfleet.coordinator;

import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.UnitId;

/**
 * The lease keeper's record of one unit on this worker, from the first attempt at its lease to
 * its terminal state. Owned by the keeper's thread.
 */
final class UnitLease {

    /** Where the unit is in taking or giving up its lease. */
    enum Step { NONE, CREATING, WAITING, CLAIMING, HELD, RELEASING }

    final UnitId unit;
    private final HeldUnits held;
    UnitState state = UnitState.CLAIMING;
    Step step = Step.NONE;
    /** Taken away while a create or a claim was in flight: its outcome gives the lease up. */
    boolean revoked;
    long czxid;
    /** The last create failed without an answer: the server may have applied it, and the node may be ours. */
    boolean createUncertain;
    Epoch epoch;
    UnitWork work;

    UnitLease(UnitId unit, HeldUnits held) {
        this.unit = unit;
        this.held = held;
    }

    void moveTo(UnitState next) {
        state = state.transitionTo(next);
        held.changed(this);
    }

    /** Whether this record is the unit's live one: not terminal, not replaced by a later attempt. */
    boolean isCurrent() {
        return held.current(unit) == this && !state.isTerminal();
    }

    /** Whether a create or a claim is in flight, whose outcome must be waited for. */
    boolean isTaking() {
        return step == Step.CREATING || step == Step.CLAIMING;
    }
}
