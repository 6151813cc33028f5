package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The default strategy: units stay where they are, and only what balance requires moves.
 *
 * <p>With equal weights, every worker ends with {@code n/m} or {@code n/m + 1} units, and the
 * {@code +1} places go to the workers that already hold the most, so that no unit moves that
 * balance does not force. With unequal weights, each worker keeps its units (heaviest first)
 * up to {@code (1 + tolerance)} times the mean load, and the rest go, heaviest first, to the
 * least-loaded worker.
 */
public final class StickyBalancedStrategy implements AssignmentStrategy {

    /** How far above the mean load a worker may be before its units move, in weighted mode. */
    public static final double DEFAULT_WEIGHT_TOLERANCE = 0.10;

    private final double weightTolerance;

    public StickyBalancedStrategy() {
        this(DEFAULT_WEIGHT_TOLERANCE);
    }

    public StickyBalancedStrategy(double weightTolerance) {
        if (weightTolerance < 0 || Double.isNaN(weightTolerance)) {
            throw new IllegalArgumentException("weightTolerance must be >= 0, not " + weightTolerance);
        }
        this.weightTolerance = weightTolerance;
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
        boolean weighted = assignable.stream().anyMatch(u -> view.units().get(u).weight() != UnitSpec.DEFAULT_WEIGHT);
        if (weighted) {
            assignByWeight(view, kept, orphans, result);
        } else {
            assignByCount(view, kept, orphans, result);
        }
        return new Assignment(result);
    }

    private static void assignByCount(ClusterView view, Map<WorkerId, List<UnitId>> kept, List<UnitId> pool,
                                      SortedMap<WorkerId, SortedSet<UnitId>> result) {
        int units = pool.size() + kept.values().stream().mapToInt(List::size).sum();
        int workers = view.workers().size();
        int base = units / workers;
        int extra = units % workers;
        List<WorkerId> ranked = new ArrayList<>(view.workers());
        ranked.sort(Comparator.<WorkerId>comparingInt(w -> kept.getOrDefault(w, List.of()).size()).reversed()
                .thenComparing(Comparator.naturalOrder()));
        Map<WorkerId, Integer> quota = new HashMap<>();
        for (int i = 0; i < ranked.size(); i++) {
            quota.put(ranked.get(i), base + (i < extra ? 1 : 0));
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

    private void assignByWeight(ClusterView view, Map<WorkerId, List<UnitId>> kept, List<UnitId> pool,
                                SortedMap<WorkerId, SortedSet<UnitId>> result) {
        Comparator<UnitId> heaviestFirst = Comparator.<UnitId>comparingDouble(u -> view.units().get(u).weight()).reversed()
                .thenComparing(Comparator.naturalOrder());
        double total = 0;
        for (List<UnitId> own : kept.values()) {
            total += own.stream().mapToDouble(u -> view.units().get(u).weight()).sum();
        }
        total += pool.stream().mapToDouble(u -> view.units().get(u).weight()).sum();
        double limit = total / view.workers().size() * (1 + weightTolerance);
        Map<WorkerId, Double> load = new HashMap<>();
        for (WorkerId worker : view.workers()) {
            List<UnitId> own = new ArrayList<>(kept.getOrDefault(worker, List.of()));
            own.sort(heaviestFirst);
            double sum = 0;
            for (UnitId unit : own) {
                double weight = view.units().get(unit).weight();
                if (sum == 0 || sum + weight <= limit) {
                    result.get(worker).add(unit);
                    sum += weight;
                } else {
                    pool.add(unit);
                }
            }
            load.put(worker, sum);
        }
        pool.sort(heaviestFirst);
        PriorityQueue<WorkerId> lightest = new PriorityQueue<>(
                Comparator.<WorkerId>comparingDouble(load::get).thenComparing(Comparator.naturalOrder()));
        lightest.addAll(view.workers());
        for (UnitId unit : pool) {
            WorkerId worker = lightest.poll();
            result.get(worker).add(unit);
            load.merge(worker, view.units().get(unit).weight(), Double::sum);
            lightest.add(worker);
        }
    }
}
