package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which worker reads which units. Every live worker has an entry, possibly empty.
 *
 * @param units     the units of each worker
 * @param loadMoves the units the strategy moved for load, with the reason; empty when none was
 */
public record Assignment(SortedMap<WorkerId, SortedSet<UnitId>> units, java.util.List<LoadMove> loadMoves) {

    public Assignment(SortedMap<WorkerId, SortedSet<UnitId>> units) {
        this(units, java.util.List.of());
    }

    public Assignment {
        loadMoves = java.util.List.copyOf(loadMoves);
        SortedMap<WorkerId, SortedSet<UnitId>> copy = new TreeMap<>();
        Map<UnitId, WorkerId> seen = new HashMap<>();
        units.forEach((worker, set) -> {
            for (UnitId unit : set) {
                WorkerId other = seen.put(unit, worker);
                if (other != null) {
                    throw new IllegalArgumentException(unit + " is assigned to both " + other + " and " + worker);
                }
            }
            copy.put(worker, Collections.unmodifiableSortedSet(new TreeSet<>(set)));
        });
        units = Collections.unmodifiableSortedMap(copy);
    }

    public SortedSet<UnitId> unitsOf(WorkerId worker) {
        return units.getOrDefault(worker, Collections.emptySortedSet());
    }

    /** Each unit's worker. */
    public Map<UnitId, WorkerId> owners() {
        Map<UnitId, WorkerId> owners = new HashMap<>();
        units.forEach((worker, set) -> set.forEach(unit -> owners.put(unit, worker)));
        return owners;
    }

    /** The units that had an owner in {@code before} and have another one here. */
    public SortedSet<UnitId> movedFrom(Map<UnitId, WorkerId> before) {
        SortedSet<UnitId> moved = new TreeSet<>();
        owners().forEach((unit, worker) -> {
            WorkerId previous = before.get(unit);
            if (previous != null && !previous.equals(worker)) {
                moved.add(unit);
            }
        });
        return moved;
    }

    /** This assignment with {@code held} units given to nobody; every worker keeps its entry. */
    public Assignment without(java.util.Set<UnitId> held) {
        if (held.isEmpty()) {
            return this;
        }
        SortedMap<WorkerId, SortedSet<UnitId>> kept = new TreeMap<>();
        units.forEach((worker, set) -> {
            SortedSet<UnitId> mine = new TreeSet<>(set);
            mine.removeAll(held);
            kept.put(worker, mine);
        });
        return new Assignment(kept, loadMoves.stream().filter(move -> !held.contains(move.unit())).toList());
    }

    public int unitCount() {
        return units.values().stream().mapToInt(SortedSet::size).sum();
    }
}
