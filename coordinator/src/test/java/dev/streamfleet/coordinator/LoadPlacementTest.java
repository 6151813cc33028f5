package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * One placement by weight, worked out by hand: where new units go, which unit moves for load and
 * what the move reports, and what an empty worker is handed. Weights are powers of two apart so
 * that the sums are exact and ties are ties.
 */
class LoadPlacementTest {

    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private static final WorkerId A = WorkerId.of("wa");
    private static final WorkerId B = WorkerId.of("wb");
    private static final WorkerId C = WorkerId.of("wc");
    private static final WorkerId D = WorkerId.of("wd");
    private static final WorkerId E = WorkerId.of("we");

    private final SortedSet<WorkerId> workers = new TreeSet<>();
    private final Map<WorkerId, Integer> capacities = new HashMap<>();
    private final Map<UnitId, Double> weights = new HashMap<>();
    private final Map<WorkerId, List<UnitId>> kept = new LinkedHashMap<>();
    private final List<UnitId> orphans = new ArrayList<>();
    private final Map<UnitId, Instant> movedAt = new HashMap<>();
    private BalancePolicy policy = BalancePolicy.DEFAULT;
    private SortedMap<WorkerId, SortedSet<UnitId>> result;

    private void worker(WorkerId worker, int capacity) {
        workers.add(worker);
        capacities.put(worker, capacity);
    }

    private UnitId newUnit(double weight) {
        UnitId unit = UnitId.kafka("t", weights.size());
        weights.put(unit, weight);
        return unit;
    }

    /** A unit the worker holds already, settled: free to move for load. */
    private UnitId held(WorkerId worker, double weight) {
        UnitId unit = newUnit(weight);
        kept.computeIfAbsent(worker, w -> new ArrayList<>()).add(unit);
        return unit;
    }

    /** A unit the worker holds that moved to it just now: it stays for its minimum stay. */
    private UnitId justMoved(WorkerId worker, double weight) {
        UnitId unit = held(worker, weight);
        movedAt.put(unit, NOW);
        return unit;
    }

    private UnitId orphan(double weight) {
        UnitId unit = newUnit(weight);
        orphans.add(unit);
        return unit;
    }

    private List<LoadMove> place() {
        Map<UnitId, UnitSpec> specs = new HashMap<>();
        weights.keySet().forEach(unit -> specs.put(unit, UnitSpec.of(unit)));
        ClusterView view = new ClusterView(workers, specs, Map.of(), Set.of(), capacities, Map.of(), movedAt, NOW);
        result = new TreeMap<>();
        workers.forEach(worker -> result.put(worker, new TreeSet<>()));
        return LoadPlacement.place(view, policy, weights, weights.keySet(), kept, orphans, result);
    }

    @ParameterizedTest(name = "wa (capacity {0}) holding [{1}], wb (capacity {2}) holding [{3}]: a unit of {4} goes to {5}")
    @CsvSource(delimiter = '|', textBlock = """
            # the lowest load per unit of capacity after the unit is added
            1 |                |  2 |                | 0.5  | wb
            1 | 0.25 0.25      |  1 | 0.75           | 0.25 | wa
            # on equal loads, the fewest units per unit of capacity
            1 | 0.5            |  1 | 0.25 0.25      | 0.25 | wa
            1 | 0.25 0.25      |  1 | 0.5            | 0.25 | wb
            1 | 0.25           |  2 | 0.75           | 0.25 | wb
            2 | 0.75           |  1 | 0.25           | 0.25 | wa
            """)
    void aNewUnitGoesWhereItLeavesTheLowestLoad(int capacityA, String loadsA, int capacityB, String loadsB, double weight,
                                                String expected) {
        worker(A, capacityA);
        worker(B, capacityB);
        holding(A, loadsA);
        holding(B, loadsB);
        UnitId unit = orphan(weight);

        List<LoadMove> moves = place();

        assertThat(moves).as("moves for load").isEmpty();
        assertThat(result.get(WorkerId.of(expected))).as("units of %s", expected).contains(unit);
    }

    private void holding(WorkerId worker, String loads) {
        if (loads != null) {
            for (String load : loads.trim().split(" +")) {
                held(worker, Double.parseDouble(load));
            }
        }
    }

    @Test
    void theHeaviestNewUnitIsPlacedFirstSoTheLightOnesFillAroundIt() {
        worker(A, 1);
        worker(B, 1);
        UnitId light1 = orphan(0.25);
        UnitId light2 = orphan(0.25);
        UnitId heavy = orphan(0.5);

        place();

        assertThat(result.get(A)).containsExactly(heavy);
        assertThat(result.get(B)).containsExactly(light1, light2);
    }

    @Test
    void aSecondNewUnitSeesTheLoadOfTheFirstOnTheLargerWorker() {
        worker(A, 1);
        worker(B, 2);
        UnitId heavy = orphan(0.5);
        UnitId light = orphan(0.125);

        place();

        assertThat(result.get(B)).as("0.5 over 2 beats 0.5 over 1").containsExactly(heavy);
        assertThat(result.get(A)).as("0.125 over 1 beats 0.625 over 2").containsExactly(light);
    }

    @Test
    void aUnitTooHeavyToShareAWorkerIsLeftOutOfTheFairLevel() {
        worker(A, 1);
        worker(B, 1);
        worker(C, 1);
        held(A, 3.0);
        for (int i = 0; i < 5; i++) {
            held(B, 0.25);
        }
        held(C, 0.25);

        List<LoadMove> moves = place();

        // The other six units share wb and wc: a fair level of 1.5 / 2 = 0.75, not the mean 4.5 / 3.
        assertThat(moves).singleElement().satisfies(move -> {
            assertThat(move.from()).isEqualTo(B);
            assertThat(move.to()).isEqualTo(C);
            assertThat(weights.get(move.unit())).isEqualTo(0.25);
            assertThat(move.fromLevel()).isCloseTo(1.25 / 0.75, within(1e-9));
            assertThat(move.toLevel()).isCloseTo(0.25 / 0.75, within(1e-9));
        });
    }

    @Test
    void withFewerUnitsThanWorkersTheTwoHeaviestAreSplit() {
        worker(A, 1);
        worker(B, 1);
        worker(C, 1);
        worker(D, 1);
        UnitId heavy = held(A, 1.0);
        UnitId light = held(A, 0.5);

        place();

        assertThat(result.get(A)).as("wa keeps one of them").hasSize(1);
        assertThat(result.values().stream().filter(units -> !units.isEmpty())).as("workers that read").hasSize(2);
        assertThat(result.values().stream().flatMap(SortedSet::stream)).containsExactlyInAnyOrder(heavy, light);
    }

    @Test
    void theUnitThatMovesIsTheOneThatLevelsTheTwoWorkers() {
        worker(A, 1);
        worker(B, 1);
        held(A, 0.5);
        UnitId leveller = held(A, 0.25);
        held(A, 0.125);
        held(A, 0.125);
        held(B, 0.5);

        List<LoadMove> moves = place();

        assertThat(moves).extracting(LoadMove::unit).as("wa at 1.0, wb at 0.5: 0.25 leaves both at 0.75")
                .containsExactly(leveller);
    }

    @Test
    void withUnequalCapacitiesTheMoveThatLowersTheHigherLoadMostIsMade() {
        worker(A, 2);
        worker(B, 4);
        held(A, 0.125);
        held(A, 0.125);
        held(A, 0.25);
        held(A, 0.25);
        held(A, 0.5);
        UnitId best = held(A, 0.75);
        for (int i = 0; i < 4; i++) {
            held(B, 0.5);
        }

        List<LoadMove> moves = place();

        // wa at 2.0 / 2, wb at 2.0 / 4. Moving 0.75 leaves 0.625 and 0.6875; 0.5 would leave 0.75 and 0.625.
        assertThat(moves).singleElement().satisfies(move -> {
            assertThat(move.unit()).isEqualTo(best);
            assertThat(move.from()).isEqualTo(A);
            assertThat(move.to()).isEqualTo(B);
            assertThat(move.fromLevel()).isCloseTo(1.0 / (4.0 / 6), within(1e-9));
            assertThat(move.toLevel()).isCloseTo(0.5 / (4.0 / 6), within(1e-9));
        });
    }

    @Test
    void aMoveThatGainsExactlyItsCostIsMadeAndReportsBothLevels() {
        policy = new BalancePolicy(1.25, 1.10, 0.25, Duration.ZERO, 0.5, 0.01);
        worker(A, 1);
        worker(B, 1);
        held(A, 0.25);
        held(A, 0.25);
        held(A, 0.25);
        held(B, 0.25);

        List<LoadMove> moves = place();

        // Fair level 0.5; moving 0.25 lowers wa from 0.75 to 0.5: a gain of 0.25, half the level.
        assertThat(moves).singleElement().satisfies(move -> {
            assertThat(move.from()).isEqualTo(A);
            assertThat(move.fromLevel()).isEqualTo(1.5);
            assertThat(move.toLevel()).isEqualTo(0.5);
            assertThat(move.load()).isEqualTo(0.25);
        });
    }

    @Test
    void workersExactlyAtTheEdgesOfTheTriggerBandMoveNothing() {
        worker(A, 1);
        worker(B, 1);
        held(A, 1.0);
        held(A, 0.25);
        held(B, 0.5);
        held(B, 0.25);

        assertThat(place()).as("wa at 1.25 and wb at 0.75 times the level of 1.0").isEmpty();
    }

    @Test
    void aWorkerAboveTheTriggerShedsLoadThoughNoWorkerIsBelowTheBand() {
        worker(A, 1);
        worker(B, 1);
        worker(C, 1);
        held(A, 0.5);
        UnitId moved = held(A, 0.25);
        held(B, 0.25);
        held(B, 0.125);
        held(C, 0.25);
        held(C, 0.125);

        assertThat(place()).as("wa at 1.5, wb and wc at 0.75 times 0.5").extracting(LoadMove::unit).containsExactly(moved);
    }

    @Test
    void aLargeWorkerIsHeldToTheFairLevelNotToTwiceItsHeaviestUnit() {
        worker(A, 2);
        for (WorkerId other : List.of(B, C, D, E)) {
            worker(other, 1);
            held(other, 0.5);
        }
        held(A, 0.5);
        held(A, 0.5);
        held(A, 0.5);
        UnitId light = held(A, 0.125);

        // wa at 1.625 / 2 = 0.8125, the others at 0.5, the level 3.625 / 6: wa is 1.34 times it.
        assertThat(place()).extracting(LoadMove::unit).containsExactly(light);
    }

    @Test
    void aWorkerThatJoinsBesideOneHoldingTwoGetsTheLighterAndTheMoveSaysFromWhatLevel() {
        worker(A, 1);
        worker(B, 1);
        justMoved(A, 0.5);
        UnitId lighter = justMoved(A, 0.25);

        List<LoadMove> moves = place();

        // 0.5 is more than its share and is set aside with a worker: the fair level is 0.25.
        assertThat(moves).singleElement().satisfies(move -> {
            assertThat(move.unit()).isEqualTo(lighter);
            assertThat(move.to()).isEqualTo(B);
            assertThat(move.fromLevel()).isEqualTo(3.0);
        });
    }

    @Test
    void anEmptySmallWorkerGetsAUnitThatLoadsItExactlyAsMuchAsItsDonor() {
        worker(A, 2);
        worker(B, 1);
        justMoved(A, 0.5);
        justMoved(A, 0.5);

        assertThat(place()).as("0.5 over 1 against 1.0 over 2").singleElement()
                .satisfies(move -> assertThat(move.to()).isEqualTo(B));
    }

    @Test
    void anEmptyLargeWorkerGetsAUnitFromASmallOne() {
        worker(A, 1);
        worker(B, 4);
        justMoved(A, 0.5);
        justMoved(A, 0.5);

        assertThat(place()).as("0.5 over 4 against 1.0 over 1").singleElement()
                .satisfies(move -> assertThat(move.to()).isEqualTo(B));
    }

    @Test
    void twoEmptyWorkersAreFilledFromTheDonorAsItsLoadFalls() {
        worker(A, 1);
        worker(B, 1);
        worker(C, 1);
        justMoved(A, 0.5);
        UnitId middle = justMoved(A, 0.25);
        UnitId light = justMoved(A, 0.125);

        List<LoadMove> moves = place();

        // The fair level is 0.125 (0.5 and 0.25 are set aside); wa is at 0.875, then at 0.75.
        assertThat(moves).extracting(LoadMove::unit).containsExactly(light, middle);
        assertThat(moves).extracting(LoadMove::to).containsExactly(B, C);
        assertThat(moves).extracting(LoadMove::fromLevel).containsExactly(7.0, 6.0);
    }

    @Test
    void theDonorIsTheWorkerHoldingTheMostNotOneWithASingleUnit() {
        worker(A, 1);
        worker(B, 1);
        worker(C, 1);
        justMoved(A, 0.5);
        justMoved(A, 0.25);
        UnitId single = justMoved(B, 0.125);

        List<LoadMove> moves = place();

        assertThat(moves).singleElement().satisfies(move -> {
            assertThat(move.from()).isEqualTo(A);
            assertThat(move.to()).isEqualTo(C);
        });
        assertThat(result.get(B)).containsExactly(single);
    }

    @Test
    void anEmptyWorkerIsFilledFromTheWorkerHoldingTheMostUnitsWhereverItStands() {
        worker(A, 1);
        worker(B, 1);
        worker(C, 1);
        justMoved(A, 0.5);
        justMoved(A, 0.25);
        justMoved(B, 0.5);
        justMoved(B, 0.25);
        UnitId lightest = justMoved(B, 0.125);

        assertThat(place()).singleElement().satisfies(move -> {
            assertThat(move.unit()).isEqualTo(lightest);
            assertThat(move.from()).isEqualTo(B);
        });
    }

    @Test
    void aWorkerBelowTheBandDrawsLoadThoughNoneIsAboveTheTrigger() {
        worker(A, 1);
        worker(B, 1);
        worker(C, 1);
        held(A, 1.0);
        for (WorkerId other : List.of(B, C)) {
            held(other, 1.0);
            held(other, 1.0);
            held(other, 0.5);
        }

        // The level is 2.0: wb and wc at 2.5 are at the trigger, not above it; wa at 1.0 is below 1.5.
        assertThat(place()).singleElement().satisfies(move -> {
            assertThat(move.from()).isEqualTo(B);
            assertThat(move.to()).isEqualTo(A);
        });
    }
}
