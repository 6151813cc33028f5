package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Placing units by weight, calmly: kept units stay, new and orphaned units go where the load is
 * lowest, and units move for load only when a worker is outside the trigger band, a bounded
 * number per rebalance, each move paying for itself. Pure; one instance per assignment.
 */
final class LoadPlacement {

    private final ClusterView view;
    private final BalancePolicy policy;
    private final Map<UnitId, Double> weights;
    private final SortedMap<WorkerId, SortedSet<UnitId>> result;
    private final Map<WorkerId, Double> load = new HashMap<>();
    /** Units that may move for load, lightest first, per worker. */
    private final Map<WorkerId, TreeSet<Weighted>> movable = new HashMap<>();
    private final Comparator<UnitId> byWeight;

    /** A unit with its weight, ordered by weight; a null unit stands after every unit of its weight. */
    private record Weighted(double weight, UnitId unit) {
        static final Comparator<Weighted> ORDER = Comparator.comparingDouble(Weighted::weight)
                .thenComparing(Weighted::unit, Comparator.nullsLast(Comparator.naturalOrder()));
    }
    private final List<LoadMove> moves = new ArrayList<>();
    private double level;

    private LoadPlacement(ClusterView view, BalancePolicy policy, Map<UnitId, Double> weights,
                          SortedMap<WorkerId, SortedSet<UnitId>> result) {
        this.view = view;
        this.policy = policy;
        this.weights = weights;
        this.result = result;
        this.byWeight = Comparator.<UnitId>comparingDouble(weights::get).thenComparing(Comparator.naturalOrder());
        for (WorkerId worker : view.workers()) {
            load.put(worker, 0.0);
            movable.put(worker, new TreeSet<>(Weighted.ORDER));
        }
    }

    /**
     * @param weights every assignable unit's weight (at least {@code idleBelow})
     * @param measured the units whose own load is known to be at or above {@code idleBelow}; only they move for load
     */
    static List<LoadMove> place(ClusterView view, BalancePolicy policy, Map<UnitId, Double> weights,
                                Set<UnitId> measured, Map<WorkerId, List<UnitId>> kept, List<UnitId> orphans,
                                SortedMap<WorkerId, SortedSet<UnitId>> result) {
        LoadPlacement placement = new LoadPlacement(view, policy, weights, result);
        kept.forEach((worker, units) -> units.forEach(unit -> placement.put(unit, worker,
                measured.contains(unit) && placement.settled(unit))));
        placement.placeOrphans(orphans);
        placement.level = placement.fairLevel();
        if (placement.outsideBand(policy.trigger())) {
            placement.moveForLoad(Math.max(1, (int) Math.floor(policy.maxMovedShare() * weights.size())));
        }
        placement.fillEmptyWorkers();
        return placement.moves;
    }

    /**
     * A worker that holds no unit (one that just joined) takes one from the worker that holds the
     * most, two at least: the lightest of them, whatever its load and however recently it moved.
     * Without this, a worker that joins soon after other moves, when the units that could go to it
     * moved recently or are too light to move for load, would read nothing until their minimum
     * stay has passed. It is taken only if the new worker's load per unit of capacity stays at or
     * below the donor's before the move: so the move never raises the higher of the two, and no
     * move for load would take the unit back (with equal capacities that always holds, since the
     * unit's load is part of its donor's).
     */
    private void fillEmptyWorkers() {
        for (WorkerId to : view.workers()) {
            if (!result.get(to).isEmpty()) {
                continue;
            }
            WorkerId from = null;
            for (WorkerId worker : view.workers()) {
                int held = result.get(worker).size();
                if (held >= 2 && (from == null || held > result.get(from).size())) {
                    from = worker;
                }
            }
            if (from == null) {
                return;
            }
            UnitId lightest = result.get(from).stream().min(byWeight).orElseThrow();
            double weight = weights.get(lightest);
            if (weight / view.capacityOf(to) > relative(from) + 1e-12) {
                continue;
            }
            moves.add(new LoadMove(lightest, from, to, weight, relative(from) / level, relative(to) / level));
            result.get(from).remove(lightest);
            movable.get(from).remove(new Weighted(weight, lightest));
            load.merge(from, -weight, Double::sum);
            put(lightest, to, false);
        }
    }

    private boolean settled(UnitId unit) {
        java.time.Instant moved = view.movedAt().get(unit);
        return moved == null || !moved.plus(policy.minStay()).isAfter(view.now());
    }

    private void put(UnitId unit, WorkerId worker, boolean mayMove) {
        result.get(worker).add(unit);
        load.merge(worker, weights.get(unit), Double::sum);
        if (mayMove) {
            movable.get(worker).add(new Weighted(weights.get(unit), unit));
        }
    }

    /** Heaviest first, each where it leaves the lowest relative load (then the fewest units). */
    private void placeOrphans(List<UnitId> orphans) {
        List<UnitId> heaviestFirst = new ArrayList<>(orphans);
        heaviestFirst.sort(byWeight.reversed());
        for (UnitId unit : heaviestFirst) {
            double weight = weights.get(unit);
            WorkerId best = null;
            double bestLoad = Double.MAX_VALUE;
            for (WorkerId worker : view.workers()) {
                double after = (load.get(worker) + weight) / view.capacityOf(worker);
                if (after < bestLoad - 1e-12 || (Math.abs(after - bestLoad) <= 1e-12
                        && (double) result.get(worker).size() / view.capacityOf(worker)
                        < (double) result.get(best).size() / view.capacityOf(best))) {
                    best = worker;
                    bestLoad = after;
                }
            }
            put(unit, best, false);
        }
    }

    /**
     * The load per unit of capacity that a perfect placement would give every worker: the mean,
     * after setting aside each unit heavier than its share together with the largest worker left.
     */
    private double fairLevel() {
        List<Double> heaviestFirst = weights.values().stream().sorted(Comparator.reverseOrder()).toList();
        List<Integer> largestFirst = view.workers().stream().map(view::capacityOf).sorted(Comparator.reverseOrder()).toList();
        double total = heaviestFirst.stream().mapToDouble(Double::doubleValue).sum();
        double capacity = largestFirst.stream().mapToInt(Integer::intValue).sum();
        int next = 0;
        while (next < heaviestFirst.size() && next < largestFirst.size() - 1
                && heaviestFirst.get(next) > total / capacity * largestFirst.get(next)) {
            total -= heaviestFirst.get(next);
            capacity -= largestFirst.get(next);
            next++;
        }
        return total / capacity;
    }

    private double relative(WorkerId worker) {
        return load.get(worker) / view.capacityOf(worker);
    }

    /** What the worker can be held to: the fair level, or its heaviest unit if that alone is more. */
    private double reference(WorkerId worker) {
        double heaviest = 0;
        for (UnitId unit : result.get(worker)) {
            heaviest = Math.max(heaviest, weights.get(unit));
        }
        return Math.max(level, heaviest / view.capacityOf(worker));
    }

    private boolean outsideBand(double factor) {
        for (WorkerId worker : view.workers()) {
            double relative = relative(worker);
            if (relative > factor * reference(worker) + 1e-12 || relative < (2 - factor) * level - 1e-12) {
                return true;
            }
        }
        return false;
    }

    private void moveForLoad(int maxMoves) {
        while (moves.size() < maxMoves && outsideBand(policy.target())) {
            if (!moveOne()) {
                return;
            }
        }
    }

    /** The best single move from the most loaded worker that has one worth its cost, to the least loaded. */
    private boolean moveOne() {
        WorkerId to = null;
        for (WorkerId worker : view.workers()) {
            if (to == null || relative(worker) < relative(to)) {
                to = worker;
            }
        }
        List<WorkerId> donors = new ArrayList<>(view.workers());
        donors.sort(Comparator.<WorkerId>comparingDouble(this::relative).reversed().thenComparing(Comparator.naturalOrder()));
        double toCapacity = view.capacityOf(to);
        for (WorkerId from : donors) {
            double fromRelative = relative(from);
            double toRelative = relative(to);
            if (from.equals(to) || fromRelative <= toRelative) {
                return false;
            }
            double fromCapacity = view.capacityOf(from);
            // The weight that would leave both workers level; the best move is the unit nearest to it.
            double ideal = (fromRelative - toRelative) / (1 / fromCapacity + 1 / toCapacity);
            UnitId best = null;
            double bestGain = policy.minGain() * level;
            for (UnitId candidate : candidatesNear(from, ideal)) {
                double weight = weights.get(candidate);
                double gain = fromRelative - Math.max(fromRelative - weight / fromCapacity, toRelative + weight / toCapacity);
                if (gain >= bestGain && gain > 1e-12) {
                    best = candidate;
                    bestGain = gain;
                }
            }
            if (best != null) {
                moves.add(new LoadMove(best, from, to, weights.get(best), fromRelative / level, toRelative / level));
                result.get(from).remove(best);
                movable.get(from).remove(new Weighted(weights.get(best), best));
                load.merge(from, -weights.get(best), Double::sum);
                put(best, to, false);
                return true;
            }
        }
        return false;
    }

    /** The movable units of the worker just lighter and just heavier than {@code weight}. */
    private List<UnitId> candidatesNear(WorkerId worker, double weight) {
        TreeSet<Weighted> units = movable.get(worker);
        Weighted probe = new Weighted(weight, null);
        List<UnitId> near = new ArrayList<>(2);
        Weighted lighter = units.floor(probe);
        Weighted heavier = units.higher(probe);
        if (lighter != null) {
            near.add(lighter.unit());
        }
        if (heavier != null) {
            near.add(heavier.unit());
        }
        return near;
    }
}
