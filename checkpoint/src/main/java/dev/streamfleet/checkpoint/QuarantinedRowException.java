package dev.streamfleet.checkpoint;

import dev.streamfleet.core.UnitId;

/**
 * The unit's row is one this build does not trust: an attribute that does not parse, or a row
 * written in a newer format (docs/design.md §"What is trusted"). The row is left as it is and the
 * unit is not read until an operator fixes it ({@code streamfleet checkpoints reset}) or a build
 * that reads it takes over; retrying changes nothing.
 */
public final class QuarantinedRowException extends CheckpointException {

    private final transient UnitId unit;
    private final String reason;

    public QuarantinedRowException(UnitId unit, String reason) {
        super(unit + ": checkpoint row quarantined: " + reason);
        this.unit = unit;
        this.reason = reason;
    }

    public UnitId unit() {
        return unit;
    }

    /** Which attribute, with which value, and why it is not trusted. */
    public String reason() {
        return reason;
    }
}
