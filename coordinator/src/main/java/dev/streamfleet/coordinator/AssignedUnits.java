package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What the leader assigned to one worker: the units, and the generation of the assignment.
 *
 * @param generation the assignment's generation; it only grows
 * @param units      the units this worker should hold
 */
public record AssignedUnits(long generation, SortedSet<UnitId> units) {

    public AssignedUnits {
        units = Collections.unmodifiableSortedSet(new TreeSet<>(units));
    }
}
