package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A worker that joins empty beside workers of other capacities: filled without raising the load or swapping units back and forth. */
class UnequalCapacityFillTest {

    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final WorkerId BIG = WorkerId.of("wa");
    private static final WorkerId SMALL = WorkerId.of("wb");
    private static final UnitId U0 = UnitId.kafka("t", 0);
    private static final UnitId U1 = UnitId.kafka("t", 1);

    private final StickyBalancedStrategy strategy = new StickyBalancedStrategy();
    private final SortedSet<WorkerId> workers = new TreeSet<>(Set.of(BIG, SMALL));
    private final Map<WorkerId, Integer> capacities = Map.of(BIG, 4, SMALL, 1);
    private final Map<UnitId, UnitSpec> units = Map.of(U0, UnitSpec.of(U0), U1, UnitSpec.of(U1));
    private final Map<UnitId, Double> loads = new HashMap<>();
    private final Map<UnitId, Instant> movedAt = new HashMap<>();
    private Map<UnitId, WorkerId> owners = new HashMap<>();
    private Instant now = START;

    private Assignment rebalance(Duration after) {
        now = now.plus(after);
        Assignment next = strategy.assign(new ClusterView(workers, units, owners, Set.of(), capacities, loads, movedAt, now));
        next.movedFrom(owners).forEach(unit -> movedAt.put(unit, now));
        owners = next.owners();
        return next;
    }

    private double highestRelative() {
        Map<WorkerId, Double> load = new HashMap<>();
        owners.forEach((unit, worker) -> load.merge(worker, loads.get(unit), Double::sum));
        return load.entrySet().stream().mapToDouble(e -> e.getValue() / capacities.get(e.getKey())).max().orElse(0);
    }

    /** A small worker is not handed a unit that would load it more than the big one was. */
    @Test
    void fillingASmallWorkerDoesNotRaiseTheHighestLoad() {
        loads.put(U0, 1.0);
        loads.put(U1, 0.9);
        owners.put(U0, BIG);
        owners.put(U1, BIG);
        movedAt.put(U0, START);
        movedAt.put(U1, START);
        double before = highestRelative();   // 1.9 / 4 = 0.475
        rebalance(Duration.ofSeconds(30));   // SMALL just joined, inside minStay
        assertThat(highestRelative()).as("highest load per unit of capacity, before %s", before)
                .isLessThanOrEqualTo(before);
    }

    /**
     * The load pass empties the small worker (its only unit goes to the big one), and the fill then
     * hands it the big worker's lightest: two units swap places whenever their loads cross.
     */
    @Test
    void unitsAreNotSwappedBackAndForthAsTheirLoadsCross() {
        loads.put(U0, 0.5);
        loads.put(U1, 0.3);
        owners.put(U0, BIG);
        owners.put(U1, BIG);
        int moves = 0;
        for (int round = 0; round < 6; round++) {
            Map<UnitId, WorkerId> before = owners;
            Assignment next = rebalance(Duration.ofMinutes(6));
            moves += next.movedFrom(before).size();
            // The two loads cross between rebalances, as noisy measurements near each other do.
            double l0 = loads.get(U0);
            loads.put(U0, loads.get(U1));
            loads.put(U1, l0);
        }
        assertThat(moves).as("moves in 6 rebalances").isLessThanOrEqualTo(2);
    }
}
