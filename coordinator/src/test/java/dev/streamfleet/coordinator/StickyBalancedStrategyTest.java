package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class StickyBalancedStrategyTest {

    private final AssignmentStrategy strategy = new StickyBalancedStrategy();

    private static List<UnitId> units(int count) {
        return IntStream.range(0, count).mapToObj(i -> UnitId.kafka("t", i)).toList();
    }

    private static SortedSet<WorkerId> workers(int count) {
        return IntStream.range(0, count).mapToObj(i -> WorkerId.of("w" + (char) ('a' + i)))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static ClusterView view(SortedSet<WorkerId> workers, List<UnitId> units, Map<UnitId, WorkerId> owners) {
        Map<UnitId, UnitSpec> specs = new HashMap<>();
        units.forEach(u -> specs.put(u, UnitSpec.of(u)));
        return new ClusterView(workers, specs, owners, Set.of());
    }

    /** The fewest units that must move to bring every worker within [n/m, n/m + 1]. */
    private static int minimumMoves(Map<UnitId, WorkerId> owners, SortedSet<WorkerId> workers, int unitCount) {
        int base = unitCount / workers.size();
        int extra = unitCount % workers.size();
        List<Integer> held = workers.stream()
                .map(w -> (int) owners.values().stream().filter(w::equals).count())
                .sorted((a, b) -> b - a).toList();
        int moves = 0;
        for (int i = 0; i < held.size(); i++) {
            moves += Math.max(0, held.get(i) - (base + (i < extra ? 1 : 0)));
        }
        return moves;
    }

    private static void assertBalanced(Assignment assignment, int unitCount) {
        int min = assignment.units().values().stream().mapToInt(Set::size).min().orElse(0);
        int max = assignment.units().values().stream().mapToInt(Set::size).max().orElse(0);
        assertThat(max - min).as("spread of unit counts").isLessThanOrEqualTo(1);
        assertThat(assignment.unitCount()).as("units assigned").isEqualTo(unitCount);
    }

    @Test
    void everyUnitIsAssignedAndCountsDifferByAtMostOne() {
        Assignment assignment = strategy.assign(view(workers(3), units(10), Map.of()));

        assertBalanced(assignment, 10);
    }

    @ParameterizedTest(name = "{0} units: joining {1} -> {2} workers moves only what balance needs")
    @CsvSource({"10,1,2", "10,2,5", "7,3,4", "100,9,10", "3,2,5", "64,1,5"})
    void joiningWorkerMovesNoMoreUnitsThanBalanceNeeds(int unitCount, int before, int after) {
        List<UnitId> units = units(unitCount);
        Assignment first = strategy.assign(view(workers(before), units, Map.of()));
        Map<UnitId, WorkerId> owners = first.owners();

        Assignment second = strategy.assign(view(workers(after), units, owners));

        assertBalanced(second, unitCount);
        assertThat(second.movedFrom(owners)).hasSize(minimumMoves(owners, workers(after), unitCount));
    }

    @Test
    void leavingWorkerMovesOnlyItsOwnUnits() {
        List<UnitId> units = units(12);
        Map<UnitId, WorkerId> owners = strategy.assign(view(workers(4), units, Map.of())).owners();
        SortedSet<WorkerId> remaining = workers(4);
        WorkerId leaving = remaining.last();
        remaining.remove(leaving);

        Assignment after = strategy.assign(view(remaining, units, owners));

        assertBalanced(after, 12);
        Set<UnitId> leaversUnits = owners.entrySet().stream().filter(e -> e.getValue().equals(leaving))
                .map(Map.Entry::getKey).collect(Collectors.toSet());
        Map<UnitId, WorkerId> survivorsBefore = new HashMap<>(owners);
        leaversUnits.forEach(survivorsBefore::remove);
        assertThat(after.movedFrom(survivorsBefore)).isEmpty();
    }

    @Test
    void unchangedFleetMovesNothing() {
        List<UnitId> units = units(50);
        Map<UnitId, WorkerId> owners = strategy.assign(view(workers(7), units, Map.of())).owners();

        assertThat(strategy.assign(view(workers(7), units, owners)).movedFrom(owners)).isEmpty();
    }

    @Test
    void randomFleetsStayBalancedAndMoveTheMinimum() {
        Random random = new Random(1234);
        for (int round = 0; round < 200; round++) {
            List<UnitId> units = units(random.nextInt(60));
            SortedSet<WorkerId> fleet = workers(1 + random.nextInt(12));
            Map<UnitId, WorkerId> owners = new HashMap<>();
            List<WorkerId> anyWorker = new ArrayList<>(workers(14));
            for (UnitId unit : units) {
                if (random.nextInt(4) > 0) {
                    owners.put(unit, anyWorker.get(random.nextInt(anyWorker.size())));
                }
            }
            Assignment assignment = strategy.assign(view(fleet, units, owners));

            assertBalanced(assignment, units.size());
            assertThat(assignment.units().keySet()).containsExactlyElementsOf(fleet);
            Map<UnitId, WorkerId> liveOwners = new HashMap<>(owners);
            liveOwners.values().removeIf(w -> !fleet.contains(w));
            assertThat(assignment.movedFrom(liveOwners)).as("round %d", round)
                    .hasSize(minimumMoves(liveOwners, fleet, units.size()));
        }
    }

    @Test
    void childIsNotAssignedBeforeAllItsParentsEnded() {
        UnitId parentA = UnitId.kinesis("s", "shardId-000000000000");
        UnitId parentB = UnitId.kinesis("s", "shardId-000000000001");
        UnitId merged = UnitId.kinesis("s", "shardId-000000000002");
        Map<UnitId, UnitSpec> specs = Map.of(parentA, UnitSpec.of(parentA), parentB, UnitSpec.of(parentB),
                merged, UnitSpec.child(merged, parentA, parentB));

        Assignment oneParentEnded = strategy.assign(new ClusterView(workers(2), specs, Map.of(), Set.of(parentA)));
        Assignment bothEnded = strategy.assign(new ClusterView(workers(2), specs, Map.of(), Set.of(parentA, parentB)));

        assertThat(oneParentEnded.owners()).containsOnlyKeys(parentB);
        assertThat(bothEnded.owners()).containsOnlyKeys(merged);
    }

    @Test
    void childOfAParentThatAgedOutOfRetentionIsAssignable() {
        UnitId gone = UnitId.kinesis("s", "shardId-000000000000");
        UnitId child = UnitId.kinesis("s", "shardId-000000000003");

        Assignment assignment = strategy.assign(new ClusterView(workers(1), Map.of(child, UnitSpec.child(child, gone)),
                Map.of(), Set.of()));

        assertThat(assignment.owners()).containsOnlyKeys(child);
    }

    @Test
    void noWorkersMeansAnEmptyAssignment() {
        assertThat(strategy.assign(view(new TreeSet<>(), units(5), Map.of())).units()).isEmpty();
    }

    @Test
    void weightedUnitsSpreadLoadWithinToleranceOfTheHeaviestUnit() {
        Random random = new Random(99);
        Map<UnitId, UnitSpec> specs = new HashMap<>();
        for (UnitId unit : units(40)) {
            specs.put(unit, new UnitSpec(unit, List.of(), 1 + random.nextInt(9)));
        }
        SortedSet<WorkerId> fleet = workers(5);

        Assignment assignment = strategy.assign(new ClusterView(fleet, specs, Map.of(), Set.of()));

        double total = specs.values().stream().mapToDouble(UnitSpec::weight).sum();
        double heaviest = specs.values().stream().mapToDouble(UnitSpec::weight).max().orElseThrow();
        for (WorkerId worker : fleet) {
            double load = assignment.unitsOf(worker).stream().mapToDouble(u -> specs.get(u).weight()).sum();
            assertThat(load).as("load of %s", worker).isLessThanOrEqualTo(total / 5 * 1.1 + heaviest);
        }
        assertThat(assignment.unitCount()).isEqualTo(40);
    }

    @Test
    void weightedUnitsStayPutWhenTheFleetIsUnchanged() {
        Map<UnitId, UnitSpec> specs = new HashMap<>();
        for (UnitId unit : units(30)) {
            specs.put(unit, new UnitSpec(unit, List.of(), 1 + Math.floorMod(unit.hashCode(), 5) * 0.5));
        }
        ClusterView first = new ClusterView(workers(4), specs, Map.of(), Set.of());
        Map<UnitId, WorkerId> owners = strategy.assign(first).owners();

        Assignment again = strategy.assign(new ClusterView(workers(4), specs, owners, Set.of()));

        assertThat(again.movedFrom(owners)).isEmpty();
        assertThat(new HashSet<>(again.owners().keySet())).isEqualTo(specs.keySet());
    }

    /** Two workers: wa holds {@code heldByA} units and wb the rest; every unit has its measured load. */
    private static ClusterView measured(int heldByA, double... loads) {
        Map<UnitId, UnitSpec> specs = new HashMap<>();
        Map<UnitId, WorkerId> owners = new HashMap<>();
        Map<UnitId, Double> measured = new HashMap<>();
        for (int i = 0; i < loads.length; i++) {
            UnitId unit = UnitId.kafka("t", i);
            specs.put(unit, UnitSpec.of(unit));
            owners.put(unit, WorkerId.of(i < heldByA ? "wa" : "wb"));
            measured.put(unit, loads[i]);
        }
        return new ClusterView(workers(2), specs, owners, Set.of(), Map.of(), measured, Map.of(), java.time.Instant.EPOCH);
    }

    @ParameterizedTest(name = "three units at {0} and one at {1} are balanced by count")
    @CsvSource({"0.5,0.5", "4.0,4.000000001"})
    void unitsOfEqualLoadAreBalancedByCountWithNoMoveForLoad(double load, double almostTheSame) {
        ClusterView view = measured(3, load, load, load, almostTheSame);

        Assignment assignment = strategy.assign(view);

        assertThat(assignment.movedFrom(view.owners())).hasSize(1);
        assertThat(assignment.loadMoves()).as("moves reported as for load").isEmpty();
    }

    @Test
    void aUnitMeasuredExactlyAtTheIdleThresholdMayMoveForLoad() {
        BalancePolicy idleBelowATenth = new BalancePolicy(1.25, 1.10, 0.25, java.time.Duration.ofMinutes(5), 0.01, 0.1);
        ClusterView view = measured(4, 0.4, 0.1, 0.1, 0.1, 0.4);

        Assignment assignment = new StickyBalancedStrategy(idleBelowATenth).assign(view);

        // wa at 0.7 and wb at 0.4: only a unit of 0.1 brings them closer.
        assertThat(assignment.loadMoves()).singleElement().satisfies(move -> assertThat(move.load()).isEqualTo(0.1));
    }

    @Test
    void aFleetWithAUnitAtTheIdleThresholdIsBalancedByLoad() {
        ClusterView view = measured(3, 0.01, 0.005, 0.005, 0.005);

        Assignment assignment = strategy.assign(view);

        assertThat(assignment.loadMoves()).extracting(LoadMove::unit).containsExactly(UnitId.kafka("t", 0));
    }

    @Test
    void theUnitLeftOverByCapacityGoesToTheWorkerWithTheLargestRemainder() {
        Map<UnitId, UnitSpec> specs = new HashMap<>();
        units(5).forEach(unit -> specs.put(unit, UnitSpec.of(unit)));
        ClusterView view = new ClusterView(workers(2), specs, Map.of(), Set.of(), Map.of(WorkerId.of("wa"), 2), Map.of(),
                Map.of(), java.time.Instant.EPOCH);

        Assignment assignment = strategy.assign(view);

        // Shares of 10/3 and 5/3: wa gets 3, wb 1 and the one left over, since 2/3 > 1/3.
        assertThat(assignment.unitsOf(WorkerId.of("wa"))).hasSize(3);
        assertThat(assignment.unitsOf(WorkerId.of("wb"))).hasSize(2);
    }

    @Test
    void withNoIdleThresholdAFleetMeasuredAtZeroIsBalancedByCount() {
        BalancePolicy noThreshold = new BalancePolicy(1.25, 1.10, 0.25, java.time.Duration.ofMinutes(5), 0.01, 0.0);
        ClusterView view = measured(3, 0.0, 0.0, 0.0, 0.0);

        Assignment assignment = new StickyBalancedStrategy(noThreshold).assign(view);

        assertThat(assignment.movedFrom(view.owners())).hasSize(1);
        assertBalanced(assignment, 4);
    }
}
