package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Everything an {@link AssignmentStrategy} decides from: a read-only snapshot of the fleet.
 *
 * @param workers the live workers
 * @param units   every known unit, by id
 * @param owners  who holds or was last assigned each unit; may name workers that are gone
 * @param ended   units read to their end (ENDED in the checkpoint store)
 */
public record ClusterView(SortedSet<WorkerId> workers, Map<UnitId, UnitSpec> units, Map<UnitId, WorkerId> owners,
                          Set<UnitId> ended) {

    public ClusterView {
        workers = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(Objects.requireNonNull(workers, "workers")));
        units = Map.copyOf(units);
        owners = Map.copyOf(owners);
        ended = Set.copyOf(ended);
    }

    /**
     * Whether a unit may be read now: it is not ENDED, and each of its parents is ENDED or
     * no longer known (aged out of retention), so a child never starts before its parents
     * finished and key order holds across a split or merge.
     */
    public boolean isAssignable(UnitId unit) {
        UnitSpec spec = units.get(unit);
        if (spec == null || ended.contains(unit)) {
            return false;
        }
        for (UnitId parent : spec.parents()) {
            if (units.containsKey(parent) && !ended.contains(parent)) {
                return false;
            }
        }
        return true;
    }

    /** The units that may be assigned now, in order. */
    public SortedSet<UnitId> assignableUnits() {
        SortedSet<UnitId> result = new TreeSet<>();
        for (UnitId unit : units.keySet()) {
            if (isAssignable(unit)) {
                result.add(unit);
            }
        }
        return result;
    }
}
