package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The published assignment as the leader read it, one node per worker: the nodes that parse, the
 * workers whose node does not ({@code unreadable}: their workers ignore it and keep their units;
 * the next rebalance writes a readable one over it), and the workers whose node the leader may
 * not read ({@code forbidden}: a tool's ACL; the leader may not write it either, nor its worker
 * read it, so that worker gets no units while it stays so).
 *
 * @param readable   each worker's units, as its readable node names them
 * @param unreadable workers whose node does not parse
 * @param forbidden  workers whose node the leader may not read
 */
public record AssignmentNodes(SortedMap<WorkerId, SortedSet<UnitId>> readable, Set<WorkerId> unreadable,
                              Set<WorkerId> forbidden) {

    /** No nodes at all: a fleet that has never been assigned. */
    public static final AssignmentNodes NONE = new AssignmentNodes(new TreeMap<>(), Set.of(), Set.of());

    public AssignmentNodes {
        SortedMap<WorkerId, SortedSet<UnitId>> copy = new TreeMap<>();
        Objects.requireNonNull(readable, "readable").forEach((worker, units) ->
                copy.put(worker, Collections.unmodifiableSortedSet(new TreeSet<>(units))));
        readable = Collections.unmodifiableSortedMap(copy);
        unreadable = Set.copyOf(unreadable);
        forbidden = Set.copyOf(forbidden);
    }

    /** Whether the worker has an assignment node, whether the leader may read it or not. */
    public boolean hasNode(WorkerId worker) {
        return readable.containsKey(worker) || unreadable.contains(worker) || forbidden.contains(worker);
    }

    /** Every worker that has a node the leader may read, whether it parses or not. */
    public Set<WorkerId> workers() {
        Set<WorkerId> all = new TreeSet<>(readable.keySet());
        all.addAll(unreadable);
        return all;
    }

    /** Each unit's worker, as the readable nodes say; a unit two nodes name goes to the last worker in order. */
    public Map<UnitId, WorkerId> owners() {
        Map<UnitId, WorkerId> owners = new HashMap<>();
        readable.forEach((worker, units) -> units.forEach(unit -> owners.put(unit, worker)));
        return owners;
    }
}
