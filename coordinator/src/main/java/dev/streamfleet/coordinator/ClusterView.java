package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Everything an {@link AssignmentStrategy} decides from: a read-only snapshot of the fleet.
 *
 * @param workers    the live workers
 * @param units      every known unit, by id
 * @param owners     who holds or was last assigned each unit; may name workers that are gone
 * @param ended      units read to their end (ENDED in the checkpoint store)
 * @param capacities each worker's capacity (1 when missing): a worker of capacity 2 takes twice the share
 * @param loads      each unit's measured load, where known (busy seconds per second, or any
 *                   unit as long as all are in the same one); a weight pinned in its
 *                   {@link UnitSpec} comes first
 * @param movedAt    when each unit last moved, where known
 * @param now        the time of this view
 */
public record ClusterView(SortedSet<WorkerId> workers, Map<UnitId, UnitSpec> units, Map<UnitId, WorkerId> owners,
                          Set<UnitId> ended, Map<WorkerId, Integer> capacities, Map<UnitId, Double> loads,
                          Map<UnitId, Instant> movedAt, Instant now) {

    public ClusterView {
        workers = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(Objects.requireNonNull(workers, "workers")));
        units = Map.copyOf(units);
        owners = Map.copyOf(owners);
        ended = Set.copyOf(ended);
        capacities = Map.copyOf(capacities);
        loads = Map.copyOf(loads);
        movedAt = Map.copyOf(movedAt);
        Objects.requireNonNull(now, "now");
        capacities.forEach((worker, capacity) -> {
            if (capacity < 1) {
                throw new IllegalArgumentException("the capacity of " + worker + " must be at least 1, not " + capacity);
            }
        });
        loads.forEach((unit, load) -> {
            if (!(load >= 0) || load.isInfinite()) {
                throw new IllegalArgumentException("the load of " + unit + " must be finite and not negative, not " + load);
            }
        });
    }

    /** A fleet of equal workers whose loads are unknown. */
    public ClusterView(SortedSet<WorkerId> workers, Map<UnitId, UnitSpec> units, Map<UnitId, WorkerId> owners,
                       Set<UnitId> ended) {
        this(workers, units, owners, ended, Map.of(), Map.of(), Map.of(), Instant.EPOCH);
    }

    /** The worker's capacity; 1 unless it published another. */
    public int capacityOf(WorkerId worker) {
        return capacities.getOrDefault(worker, 1);
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
