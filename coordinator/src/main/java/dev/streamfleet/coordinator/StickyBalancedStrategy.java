package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.HashSet;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The default strategy: units stay where they are, and only what balance requires moves.
 *
 * <p>While loads are unknown, equal, or all idle, it balances by count: every worker ends with
 * its capacity's share of the units, rounded, and the extra places go to the workers that already
 * hold the most, so that no unit moves that balance does not force. With equal capacities that is
 * {@code n/m} or {@code n/m + 1} units each.
 *
 * <p>Once units have different weights (pinned in their {@link UnitSpec}, else measured; a unit
 * without either counts as idle, since workers publish nothing for idle units), it balances by load, calmly ({@link BalancePolicy}): kept
 * units stay, new and orphaned ones go where the load is lowest, and units move for load only
 * when a worker leaves the trigger band, at most a share of them per rebalance, never one that
 * moved within the minimum stay or that is idle, and only when the move lowers the higher of its
 * two workers' loads by more than a move costs. Each such move is reported with its reason.
 */
public final class StickyBalancedStrategy implements AssignmentStrategy {

    private final BalancePolicy policy;

    public StickyBalancedStrategy() {
        this(BalancePolicy.DEFAULT);
    }

    public StickyBalancedStrategy(BalancePolicy policy) {
        this.policy = java.util.Objects.requireNonNull(policy, "policy");
    }

    @Override
    public Assignment assign(ClusterView view) {
        SortedMap<WorkerId, SortedSet<UnitId>> result = new TreeMap<>();
        view.workers().forEach(worker -> result.put(worker, new TreeSet<>()));
        if (view.workers().isEmpty()) {
            return new Assignment(result);
        }
        SortedSet<UnitId> assignable = view.assignableUnits();
        Map<WorkerId, List<UnitId>> kept = new HashMap<>();
        List<UnitId> orphans = new ArrayList<>();
        for (UnitId unit : assignable) {
            WorkerId owner = view.owners().get(unit);
            if (owner != null && view.workers().contains(owner)) {
                kept.computeIfAbsent(owner, w -> new ArrayList<>()).add(unit);
            } else {
                orphans.add(unit);
            }
        }
        Map<UnitId, Double> known = new HashMap<>();
        for (UnitId unit : assignable) {
            double pinned = view.units().get(unit).weight();
            Double measured = view.loads().get(unit);
            if (pinned != UnitSpec.DEFAULT_WEIGHT) {
                known.put(unit, pinned);
            } else if (measured != null) {
                known.put(unit, measured);
            }
        }
        if (byCount(known, assignable.size())) {
            assignByCount(view, kept, orphans, result);
            return new Assignment(result);
        }
        Map<UnitId, Double> weights = new HashMap<>();
        Set<UnitId> busy = new HashSet<>();
        for (UnitId unit : assignable) {
            // Workers publish nothing while idle: a unit without a figure is taken to be idle.
            double weight = known.getOrDefault(unit, 0.0);
            if (known.containsKey(unit) && weight >= policy.idleBelow()) {
                busy.add(unit);
            }
            // Even an idle unit costs its reads.
            weights.put(unit, Math.max(weight, policy.idleBelow()));
        }
        List<LoadMove> moves = LoadPlacement.place(view, policy, weights, busy, kept, orphans, result);
        return new Assignment(result, moves);
    }

    /** Count balance while nothing is known, everything is idle, or every unit weighs the same. */
    private boolean byCount(Map<UnitId, Double> known, int units) {
        if (known.isEmpty() || known.values().stream().allMatch(w -> w < policy.idleBelow())) {
            return true;
        }
        double min = known.values().stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        double max = known.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        return known.size() == units && max - min <= 1e-9 * max;
    }

    private static void assignByCount(ClusterView view, Map<WorkerId, List<UnitId>> kept, List<UnitId> pool,
                                      SortedMap<WorkerId, SortedSet<UnitId>> result) {
        int units = pool.size() + kept.values().stream().mapToInt(List::size).sum();
        long capacity = view.workers().stream().mapToLong(view::capacityOf).sum();
        List<WorkerId> ranked = new ArrayList<>(view.workers());
        ranked.sort(Comparator.<WorkerId>comparingInt(w -> kept.getOrDefault(w, List.of()).size()).reversed()
                .thenComparing(Comparator.naturalOrder()));
        // Each worker's share of the units by capacity, rounded down; the places left over go to the
        // largest remainders, and among equal ones to the workers that hold the most already.
        Map<WorkerId, Integer> quota = new HashMap<>();
        int given = 0;
        for (WorkerId worker : ranked) {
            int share = (int) ((long) units * view.capacityOf(worker) / capacity);
            quota.put(worker, share);
            given += share;
        }
        List<WorkerId> byRemainder = new ArrayList<>(ranked);
        byRemainder.sort(Comparator.comparingLong((WorkerId w) -> -((long) units * view.capacityOf(w) % capacity)));
        for (int i = 0; i < units - given; i++) {
            quota.merge(byRemainder.get(i), 1, Integer::sum);
        }
        for (WorkerId worker : ranked) {
            List<UnitId> own = kept.getOrDefault(worker, List.of());
            int keep = Math.min(quota.get(worker), own.size());
            result.get(worker).addAll(own.subList(0, keep));
            pool.addAll(own.subList(keep, own.size()));
        }
        pool.sort(Comparator.naturalOrder());
        int next = 0;
        for (WorkerId worker : ranked) {
            SortedSet<UnitId> mine = result.get(worker);
            while (mine.size() < quota.get(worker) && next < pool.size()) {
                mine.add(pool.get(next++));
            }
        }
    }
}
