package dev.streamfleet.coordinator;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.internal.memory.InMemoryCheckpointTable;
import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StartSeedingTest {

    private static final UnitId PARENT = UnitId.kinesis("orders", "shardId-000000000000");
    private static final UnitId LEFT = UnitId.kinesis("orders", "shardId-000000000001");
    private static final UnitId RIGHT = UnitId.kinesis("orders", "shardId-000000000002");
    private static final UnitId P0 = UnitId.kafka("payments", 0);
    private static final UnitId P1 = UnitId.kafka("payments", 1);
    private static final UnitId P2 = UnitId.kafka("payments", 2);
    private static final Epoch EPOCH = new Epoch("zk-main", 1);

    private final InMemoryCheckpointTable table = new InMemoryCheckpointTable();
    private final CheckpointStore rows = table.store("app");
    private final FlakyCheckpointStore store = new FlakyCheckpointStore(rows);

    private static Map<UnitId, UnitSpec> units(UnitSpec... specs) {
        Map<UnitId, UnitSpec> units = new HashMap<>();
        for (UnitSpec spec : specs) {
            units.put(spec.id(), spec);
        }
        return units;
    }

    private Optional<Position> startOf(UnitId unit) {
        return rows.read(unit).flatMap(Checkpoint::position);
    }

    private void read(UnitId unit) {
        rows.claim(unit, EPOCH, "worker-a");
        rows.checkpoint(unit, unit.kind() == dev.streamfleet.core.SourceKind.KAFKA ? new Position.Offset(100)
                : Position.Sequence.of("100"), EPOCH);
    }

    @Test
    void childShardWrittenBeforeItsFirstReadIsNotSkipped() {
        StartSeeding leader = new StartSeeding(store);
        leader.settle(units(UnitSpec.of(PARENT)), Set.of());
        read(PARENT);

        Set<UnitId> held = leader.settle(units(UnitSpec.of(PARENT), UnitSpec.child(LEFT, PARENT), UnitSpec.child(RIGHT, PARENT)),
                Set.of(PARENT));

        assertThat(held).isEmpty();
        assertThat(startOf(LEFT)).contains(Position.TRIM_HORIZON);
        assertThat(startOf(RIGHT)).contains(Position.TRIM_HORIZON);
        assertThat(rows.read(LEFT).orElseThrow().epoch()).isEmpty();
        assertThat(startOf(PARENT)).contains(Position.Sequence.of("100"));
    }

    @Test
    void aParentsQuarantinedRowNeitherThrowsNorHoldsBackTheOtherUnits() {
        read(PARENT);
        table.quarantine("app", PARENT, "attribute 'state' is the string 'SPLITTING', not ACTIVE or ENDED");
        StartSeeding leader = new StartSeeding(store);

        Set<UnitId> held = leader.settle(units(UnitSpec.of(PARENT), UnitSpec.child(LEFT, PARENT), UnitSpec.of(P0)),
                Set.of(PARENT));

        assertThat(held).isEmpty();
        assertThat(startOf(LEFT)).as("the parent was read: its child starts at its beginning").contains(Position.TRIM_HORIZON);
        assertThat(rows.read(PARENT).orElseThrow().isEnded()).as("so the child waits for the row to be fixed").isFalse();
    }

    @Test
    void childOfAShardReadUnderAnEarlierLeaderIsSeededByTheNextOne() {
        read(PARENT);

        new StartSeeding(store).settle(units(UnitSpec.of(PARENT), UnitSpec.child(LEFT, PARENT)), Set.of(PARENT));

        assertThat(startOf(LEFT)).contains(Position.TRIM_HORIZON);
    }

    @Test
    void partitionAddedWhileTheFleetRunsIsReadFromItsFirstOffset() {
        StartSeeding leader = new StartSeeding(store);
        leader.settle(units(UnitSpec.of(P0), UnitSpec.of(P1)), Set.of());

        Set<UnitId> held = leader.settle(units(UnitSpec.of(P0), UnitSpec.of(P1), UnitSpec.of(P2)), Set.of(P0, P1));

        assertThat(held).isEmpty();
        assertThat(startOf(P2)).contains(Position.TRIM_HORIZON);
    }

    @Test
    void unitsOfTheFirstStartAreLeftToTheInitialPosition() {
        // A stream resharded before the application ever ran: the children existed at its first start too.
        Set<UnitId> held = new StartSeeding(store).settle(units(UnitSpec.of(PARENT), UnitSpec.child(LEFT, PARENT),
                UnitSpec.of(P0), UnitSpec.of(P1)), Set.of());

        assertThat(held).isEmpty();
        assertThat(rows.list()).isEmpty();
    }

    @Test
    void unitAnEarlierLeaderAssignedUnreadIsNotSeeded() {
        read(P0);

        new StartSeeding(store).settle(units(UnitSpec.of(P0), UnitSpec.of(P1)), Set.of(P0, P1));

        assertThat(rows.read(P1)).isEmpty();
    }

    @Test
    void seedingFailureHoldsBackOnlyThatUnitUntilItIsRetried() {
        StartSeeding leader = new StartSeeding(store);
        leader.settle(units(UnitSpec.of(PARENT)), Set.of());
        read(PARENT);
        Map<UnitId, UnitSpec> afterSplit = units(UnitSpec.of(PARENT), UnitSpec.child(LEFT, PARENT),
                UnitSpec.child(RIGHT, PARENT));
        store.failingSeeds.add(LEFT);

        assertThat(leader.settle(afterSplit, Set.of(PARENT))).containsExactly(LEFT);
        assertThat(rows.read(LEFT)).isEmpty();
        assertThat(startOf(RIGHT)).contains(Position.TRIM_HORIZON);

        assertThat(leader.settle(afterSplit, Set.of(PARENT))).containsExactly(LEFT);

        store.failingSeeds.clear();
        assertThat(leader.settle(afterSplit, Set.of(PARENT))).isEmpty();
        assertThat(startOf(LEFT)).contains(Position.TRIM_HORIZON);
    }

    @Test
    void firstStartUnitHeldByAFailureKeepsTheInitialPositionWhileAShardAddedMeanwhileIsSeeded() {
        StartSeeding leader = new StartSeeding(store);
        store.failingReads.add(PARENT);

        assertThat(leader.settle(units(UnitSpec.of(PARENT), UnitSpec.child(LEFT, PARENT)), Set.of())).containsExactly(LEFT);

        store.failingReads.clear();
        UnitId added = UnitId.kinesis("orders", "shardId-000000000009");
        assertThat(leader.settle(units(UnitSpec.of(PARENT), UnitSpec.child(LEFT, PARENT), UnitSpec.of(added)),
                Set.of(PARENT))).isEmpty();
        assertThat(rows.read(LEFT)).isEmpty();
        assertThat(startOf(added)).contains(Position.TRIM_HORIZON);
    }

    @Test
    void unreadableRowsHoldBackNewUnitsButNotAssignedOnes() {
        read(P0);
        store.failingLists = true;
        StartSeeding leader = new StartSeeding(store);

        assertThat(leader.settle(units(UnitSpec.of(P0), UnitSpec.of(P1)), Set.of(P0))).containsExactly(P1);
        assertThat(rows.read(P1)).isEmpty();

        store.failingLists = false;
        assertThat(leader.settle(units(UnitSpec.of(P0), UnitSpec.of(P1)), Set.of(P0))).isEmpty();
        assertThat(startOf(P1)).contains(Position.TRIM_HORIZON);
    }

    @Test
    void seedRacingAFirstClaimLeavesTheClaimedRowAlone() {
        StartSeeding leader = new StartSeeding(store);
        leader.settle(units(UnitSpec.of(P0)), Set.of());
        read(P0);
        rows.claim(P1, EPOCH, "worker-b");
        rows.checkpoint(P1, new Position.Offset(7), EPOCH);

        assertThat(leader.settle(units(UnitSpec.of(P0), UnitSpec.of(P1)), Set.of(P0))).isEmpty();

        assertThat(startOf(P1)).contains(new Position.Offset(7));
    }

    @Test
    void idleFleetCostsTheLeaderNoCheckpointRequests() {
        StartSeeding leader = new StartSeeding(store);
        Map<UnitId, UnitSpec> units = units(UnitSpec.of(PARENT), UnitSpec.child(LEFT, PARENT), UnitSpec.of(P0));
        leader.settle(units, Set.of());
        int afterFirst = store.requests;

        for (int round = 0; round < 5; round++) {
            leader.settle(units, Set.of(PARENT, P0));
        }

        assertThat(afterFirst).isPositive();
        assertThat(store.requests).isEqualTo(afterFirst);
    }

    /** Resolves LATEST the way a source does at the first start, or fails while told to. */
    private static final class ResolvingDiscovery implements dev.streamfleet.coordinator.UnitDiscovery {
        final Map<UnitId, Position> ends = new HashMap<>();
        int failuresLeft;
        int asked;

        @Override
        public java.util.List<UnitSpec> discover() {
            return java.util.List.of();
        }

        @Override
        public Optional<Position> firstStart(UnitId unit) {
            asked++;
            if (failuresLeft > 0) {
                failuresLeft--;
                throw new dev.streamfleet.coordinator.CoordinatorException("Kafka did not answer");
            }
            return Optional.ofNullable(ends.get(unit));
        }
    }

    @Test
    void aUnitOfTheFirstStartIsSeededWithItsResolvedStartSoThatALaterOwnerStartsThereToo() {
        ResolvingDiscovery discovery = new ResolvingDiscovery();
        discovery.ends.put(P0, new Position.Offset(500));
        discovery.ends.put(P1, new Position.Offset(70));

        Set<UnitId> held = new StartSeeding(store, discovery).settle(units(UnitSpec.of(P0), UnitSpec.of(P1)), Set.of());

        assertThat(held).isEmpty();
        assertThat(startOf(P0)).as("an owner that takes P0 over before its first checkpoint starts here too")
                .contains(new Position.Offset(500));
        assertThat(startOf(P1)).contains(new Position.Offset(70));
    }

    @Test
    void aFirstStartThatCannotBeResolvedHoldsOnlyThatUnitBackAndIsTriedAgain() {
        ResolvingDiscovery discovery = new ResolvingDiscovery();
        discovery.ends.put(P0, new Position.Offset(500));
        discovery.ends.put(P1, new Position.Offset(70));
        discovery.failuresLeft = 1;
        StartSeeding leader = new StartSeeding(store, discovery);

        Set<UnitId> held = leader.settle(units(UnitSpec.of(P0), UnitSpec.of(P1)), Set.of());
        assertThat(held).containsExactly(P0);
        assertThat(startOf(P1)).contains(new Position.Offset(70));

        assertThat(leader.settle(units(UnitSpec.of(P0), UnitSpec.of(P1)), Set.of())).isEmpty();
        assertThat(startOf(P0)).as("still a unit of the first start: its initial position, resolved")
                .contains(new Position.Offset(500));
    }

    @Test
    void aUnitAssignedByAnEarlierLeaderIsNotResolvedAgain() {
        ResolvingDiscovery discovery = new ResolvingDiscovery();
        discovery.ends.put(P0, new Position.Offset(500));

        new StartSeeding(store, discovery).settle(units(UnitSpec.of(P0)), Set.of(P0));

        assertThat(discovery.asked).isZero();
        assertThat(rows.read(P0)).isEmpty();
    }

    /** A stream already resharded when an application configured AT_TIMESTAMP first starts. */
    @Test
    void childrenOfAFirstStartParentKeepTheConfiguredTimestampWhileTheParentIsUnread() {
        Position configured = new Position.AtTimestamp(Instant.parse("2026-01-01T00:00:00Z"));
        UnitDiscovery discovery = new UnitDiscovery() {
            @Override
            public List<UnitSpec> discover() {
                return List.of();
            }

            @Override
            public Optional<Position> firstStart(UnitId unit) {
                return Optional.of(configured);
            }
        };
        Set<UnitId> held = new StartSeeding(store, discovery).settle(
                units(UnitSpec.of(PARENT), UnitSpec.child(LEFT, PARENT), UnitSpec.child(RIGHT, PARENT)), Set.of());
        assertThat(held).isEmpty();
        assertThat(startOf(PARENT)).contains(configured);
        assertThat(startOf(LEFT)).as("a child seen at the first start, its parent unread").contains(configured);
    }
}
