package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

/**
 * Whether a unit's checkpoint row says it was read to its end. The leader asks only about the
 * units whose answer can change its decision, and only until one says yes, so an idle fleet
 * makes few requests. A row that cannot be read says no (the implementation reports it), never
 * throws: the units that wait for it simply wait longer.
 */
@FunctionalInterface
public interface EndedRows {

    /** Whether the row of {@code unit} says ENDED; false when there is none or it cannot be read. */
    boolean saysEnded(UnitId unit);
}
