package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

class LeaderDecisionsTest {

    private static final WorkerId A = WorkerId.of("worker-a");
    private static final WorkerId B = WorkerId.of("worker-b");
    private static final WorkerId C = WorkerId.of("worker-c");
    private static final UnitId P0 = UnitId.kafka("orders", 0);
    private static final UnitId P1 = UnitId.kafka("orders", 1);
    private static final UnitId P2 = UnitId.kafka("orders", 2);
    private static final UnitId P3 = UnitId.kafka("orders", 3);
    private static final UnitId PARENT = UnitId.kinesis("clicks", "shardId-000000000000");
    private static final UnitId CHILD = UnitId.kinesis("clicks", "shardId-000000000001");
    private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");

    /** Every view the strategy was asked about, newest last. */
    private final List<ClusterView> views = new ArrayList<>();
    private final AssignmentStrategy sticky = new StickyBalancedStrategy();
    private final LeaderDecisions decisions = new LeaderDecisions(view -> {
        views.add(view);
        return sticky.assign(view);
    }, Balancing.DEFAULT);
    private final Fleet fleet = new Fleet();

    /**
     * A fleet in memory, as a simulator keeps it: read it, decide, publish the writes, tell the
     * leader. Records what the leader read, in order.
     */
    private final class Fleet implements FleetReads<RuntimeException> {
        final SortedSet<WorkerId> live = new TreeSet<>();
        final Map<WorkerId, Integer> capacities = new HashMap<>();
        final Map<UnitId, UnitSpec> units = new HashMap<>();
        final SortedMap<WorkerId, SortedSet<UnitId>> nodes = new TreeMap<>();
        final Set<WorkerId> unreadable = new HashSet<>();
        final Set<WorkerId> forbidden = new HashSet<>();
        final List<UnitId> reports = new ArrayList<>();
        final Set<UnitId> held = new HashSet<>();
        final Map<UnitId, Double> loads = new HashMap<>();
        final Set<UnitId> endedRows = new HashSet<>();
        final List<String> reads = new ArrayList<>();

        Fleet workers(WorkerId... workers) {
            live.addAll(List.of(workers));
            return this;
        }

        Fleet units(UnitSpec... specs) {
            for (UnitSpec spec : specs) {
                units.put(spec.id(), spec);
            }
            return this;
        }

        Fleet units(UnitId... ids) {
            for (UnitId id : ids) {
                units.put(id, UnitSpec.of(id));
            }
            return this;
        }

        Fleet node(WorkerId worker, UnitId... units) {
            nodes.put(worker, new TreeSet<>(List.of(units)));
            return this;
        }

        LeaderDecisions.Facts facts() {
            return new LeaderDecisions.Facts(live, capacities, units, assignments(), reports, held, loads);
        }

        LeaderDecisions.Decision decide(Instant now) {
            LeaderDecisions.Facts facts = facts();
            reads.clear();
            return decisions.decide(facts, this, now);
        }

        /** Decides and publishes what was decided, at {@code now}, as the leader does. */
        LeaderDecisions.Decision rebalance(Instant now) {
            LeaderDecisions.Decision decision = decide(now);
            nodes.putAll(decision.writes());
            unreadable.removeAll(decision.writes().keySet());
            decision.departed().forEach(worker -> {
                nodes.remove(worker);
                unreadable.remove(worker);
            });
            reports.clear();
            decisions.published(decision, now);
            return decision;
        }

        Optional<LeaderDecisions.Change> check() {
            reads.clear();
            return decisions.check(this);
        }

        @Override
        public Map<UnitId, UnitSpec> units() {
            reads.add("units");
            return Map.copyOf(units);
        }

        @Override
        public AssignmentNodes assignments() {
            reads.add("assignments");
            return new AssignmentNodes(nodes, unreadable, forbidden);
        }

        @Override
        public Map<UnitId, Double> loads(Map<UnitId, WorkerId> owners) {
            reads.add("loads");
            return Map.copyOf(loads);
        }

        @Override
        public boolean saysEnded(UnitId unit) {
            reads.add("row " + unit);
            return endedRows.contains(unit);
        }
    }

    private ClusterView lastView() {
        assertThat(views).as("the strategy was asked").isNotEmpty();
        return views.get(views.size() - 1);
    }

    private static SortedSet<UnitId> set(UnitId... units) {
        return new TreeSet<>(List.of(units));
    }

    // ---- the rebalance decision

    @Test
    void aFirstDecisionWritesEveryLiveWorkersNodeAndSaysWhoJoined() {
        fleet.workers(A, B).units(P0, P1);

        LeaderDecisions.Decision decision = fleet.decide(T0);

        assertThat(decision.writes()).containsOnlyKeys(A, B);
        assertThat(decision.writes().get(A)).hasSize(1);
        assertThat(decision.assigned()).isEqualTo(decision.writes());
        assertThat(decision.assignment().unitCount()).isEqualTo(2);
        assertThat(decision.departed()).isEmpty();
        assertThat(decision.retryLater()).isFalse();
        assertThat(decision.reason()).isEqualTo("join of worker-a, worker-b; 2 new units");
        assertThat(lastView().now()).isEqualTo(T0);
        assertThat(lastView().owners()).isEmpty();
    }

    @Test
    void aNodeThatAlreadyNamesTheWorkersUnitsIsNotWrittenAgain() {
        fleet.workers(A, B).units(P0, P1).node(A, P0).node(B, P1);

        LeaderDecisions.Decision decision = fleet.decide(T0);

        assertThat(decision.writes()).isEmpty();
        assertThat(decision.assigned()).containsOnly(entry(A, set(P0)), entry(B, set(P1)));
        assertThat(decision.owners()).containsOnly(entry(P0, A), entry(P1, B));
        assertThat(decision.moved()).isEmpty();
        assertThat(decision.movedTo()).isEmpty();
        assertThat(decision.reason()).isEqualTo("assignment repaired");
    }

    @Test
    void aWorkerWhoseNodeIsForbiddenGetsNoUnitsAndItsCapacityIsNotCounted() {
        fleet.workers(A, B).units(P0, P1);
        fleet.capacities.put(A, 2);
        fleet.capacities.put(B, 3);
        fleet.forbidden.add(B);

        LeaderDecisions.Decision decision = fleet.decide(T0);

        assertThat(lastView().workers()).containsExactly(A);
        assertThat(lastView().capacities()).containsOnly(entry(A, 2));
        assertThat(decision.writes()).containsOnlyKeys(A);
        assertThat(decision.departed()).as("its node is not the leader's to delete").isEmpty();
    }

    @Test
    void aNodeWithoutALiveWorkerIsDeletedWhetherItParsesOrNot() {
        fleet.workers(A).units(P0, P1).node(A, P0).node(B, P1);
        fleet.unreadable.add(C);

        LeaderDecisions.Decision decision = fleet.decide(T0);

        assertThat(decision.departed()).containsExactly(B, C);
        assertThat(decision.writes()).containsOnly(entry(A, set(P0, P1)));
        assertThat(decision.movedTo()).containsOnly(entry(P1, A));
        assertThat(decision.moved()).containsExactly(P1);
        assertThat(decision.reason()).isEqualTo("leave of worker-b, worker-c");
    }

    @Test
    void anUnreadableNodeOfALiveWorkerIsWrittenOverWithoutCountingAsAJoin() {
        fleet.workers(A, B).units(P0, P1).node(A, P0);
        fleet.unreadable.add(B);

        LeaderDecisions.Decision decision = fleet.decide(T0);

        assertThat(decision.writes()).containsOnly(entry(B, set(P1)));
        assertThat(decision.departed()).isEmpty();
        assertThat(decision.reason()).isEqualTo("1 new unit");
    }

    @Test
    void heldUnitsAreAssignedToNobodyAndCallForAnotherRebalance() {
        fleet.workers(A).units(P0, P1);
        fleet.held.add(P1);

        LeaderDecisions.Decision decision = fleet.decide(T0);

        assertThat(decision.assigned()).containsOnly(entry(A, set(P0)));
        assertThat(decision.retryLater()).isTrue();
    }

    // ---- endings

    @Test
    void anEndedReportTheRowConfirmsEndsTheUnit() {
        fleet.workers(A).units(P0, P1).node(A, P0, P1);
        fleet.reports.add(P1);
        fleet.endedRows.add(P1);

        LeaderDecisions.Decision decision = fleet.decide(T0);

        assertThat(decision.ended()).containsExactly(P1);
        assertThat(decision.unconfirmed()).isEmpty();
        assertThat(lastView().ended()).containsExactly(P1);
        assertThat(decision.assigned()).containsOnly(entry(A, set(P0)));
        assertThat(decision.reason()).isEqualTo("shard end of kafka/orders/1");
    }

    @Test
    void anEndedReportTheRowDoesNotConfirmEndsNothing() {
        fleet.workers(A).units(P0, P1).node(A, P0, P1);
        fleet.reports.add(P1);

        LeaderDecisions.Decision decision = fleet.decide(T0);

        assertThat(decision.ended()).isEmpty();
        assertThat(decision.unconfirmed()).containsExactly(P1);
        assertThat(lastView().ended()).isEmpty();
        assertThat(decision.writes()).isEmpty();
    }

    @Test
    void aUnitKnownToHaveEndedIsNotAskedAboutAgainAndStaysEnded() {
        fleet.workers(A).units(UnitSpec.of(PARENT), UnitSpec.child(CHILD, PARENT));
        fleet.reports.add(PARENT);
        fleet.endedRows.add(PARENT);
        fleet.rebalance(T0);
        fleet.reports.add(PARENT);

        LeaderDecisions.Decision decision = fleet.decide(T0.plusSeconds(1));

        assertThat(fleet.reads).as("nothing asked of the rows").isEmpty();
        assertThat(decision.ended()).as("a report again, of a unit known ended").containsExactly(PARENT);
        assertThat(lastView().ended()).containsExactly(PARENT);
        assertThat(decision.assigned()).containsOnly(entry(A, set(CHILD)));
    }

    @Test
    void aParentWhoseRowSaysEndedReleasesItsChildThoughNoReportCame() {
        fleet.workers(A).units(UnitSpec.of(PARENT), UnitSpec.child(CHILD, PARENT), UnitSpec.of(P0));

        LeaderDecisions.Decision withoutRow = fleet.decide(T0);
        fleet.endedRows.add(PARENT);
        LeaderDecisions.Decision withRow = fleet.decide(T0);

        assertThat(withoutRow.assigned().get(A)).containsExactlyInAnyOrder(PARENT, P0);
        assertThat(withRow.assigned().get(A)).containsExactlyInAnyOrder(CHILD, P0);
        assertThat(fleet.reads).containsExactly("row " + PARENT);
        assertThat(withRow.ended()).as("no report was handled").isEmpty();
    }

    @Test
    void aParentNoLongerKnownIsNotAskedAbout() {
        fleet.workers(A).units(UnitSpec.child(CHILD, PARENT));

        LeaderDecisions.Decision decision = fleet.decide(T0);

        assertThat(fleet.reads).isEmpty();
        assertThat(decision.assigned()).containsOnly(entry(A, set(CHILD)));
    }

    @Test
    void aParentOfTwoChildrenIsAskedAboutOnceADecision() {
        UnitId other = UnitId.kinesis("clicks", "shardId-000000000002");
        fleet.workers(A).units(UnitSpec.of(PARENT), UnitSpec.child(CHILD, PARENT), UnitSpec.child(other, PARENT));
        fleet.endedRows.add(PARENT);

        fleet.decide(T0);

        assertThat(fleet.reads).containsExactly("row " + PARENT);
    }

    @Test
    void aNewLeadershipAsksTheRowsAgain() {
        fleet.workers(A).units(UnitSpec.of(PARENT), UnitSpec.child(CHILD, PARENT));
        fleet.endedRows.add(PARENT);
        fleet.rebalance(T0);
        fleet.endedRows.clear(); // the row went back (a restored table): a new leader believes the row

        decisions.leadershipStarted();
        LeaderDecisions.Decision decision = fleet.decide(T0.plusSeconds(1));

        assertThat(fleet.reads).containsExactly("row " + PARENT);
        assertThat(decision.assigned()).containsOnly(entry(A, set(PARENT)));
    }

    @Test
    void anEndedUnitNoLongerDiscoveredIsLeftOutOfTheView() {
        fleet.workers(A).units(P0, P1);
        fleet.reports.add(P1);
        fleet.endedRows.add(P1);
        fleet.rebalance(T0);
        fleet.units.remove(P1);

        fleet.decide(T0.plusSeconds(1));

        assertThat(lastView().ended()).isEmpty();
    }

    // ---- loads and moves

    @Test
    void aUnitKeepsItsLastKnownLoadUntilItIsMeasuredAgainAndLosesItWhenItGoes() {
        fleet.workers(A, B).units(P0, P1).node(A, P0).node(B, P1);
        fleet.loads.put(P0, 0.5);
        fleet.decide(T0);
        fleet.loads.clear();
        fleet.loads.put(P1, 0.25);

        fleet.decide(T0);
        assertThat(lastView().loads()).containsOnly(entry(P0, 0.5), entry(P1, 0.25));

        fleet.units.remove(P0);
        fleet.decide(T0);
        fleet.units(P0);
        fleet.decide(T0);
        assertThat(lastView().loads()).containsOnly(entry(P1, 0.25));
    }

    @Test
    void aPinnedWeightComesBeforeTheMeasuredLoad() {
        LeaderDecisions pinned = new LeaderDecisions(view -> {
            views.add(view);
            return sticky.assign(view);
        }, new Balancing(BalancePolicy.DEFAULT, Map.of(P0, 4.0)));
        fleet.workers(A).units(P0, P1);
        fleet.loads.put(P0, 0.5);
        fleet.loads.put(P1, 0.25);

        pinned.decide(fleet.facts(), fleet, T0);

        assertThat(lastView().loads()).containsOnly(entry(P0, 4.0), entry(P1, 0.25));
    }

    @Test
    void unitsMoveAtTheTimeTheirMoveWasPublishedAndAreForgottenOnceNoLongerDiscovered() {
        fleet.workers(A).units(P0, P1, P2, P3).node(A, P0, P1, P2, P3);
        fleet.rebalance(T0);
        fleet.workers(B);
        LeaderDecisions.Decision split = fleet.rebalance(T0.plusSeconds(10));
        assertThat(split.moved()).hasSize(2);

        fleet.decide(T0.plusSeconds(20));
        Map<UnitId, Instant> movedAt = new HashMap<>();
        split.moved().forEach(unit -> movedAt.put(unit, T0.plusSeconds(10)));
        assertThat(lastView().movedAt()).isEqualTo(movedAt);

        UnitId gone = split.moved().first();
        fleet.units.remove(gone);
        fleet.rebalance(T0.plusSeconds(30));
        fleet.decide(T0.plusSeconds(40));
        assertThat(lastView().movedAt()).doesNotContainKey(gone).hasSize(1);
    }

    @Test
    void aUnitHeldBackForAWhileKeepsTheTimeItLastMoved() {
        fleet.workers(A).units(P0, P1).node(A, P0, P1);
        fleet.rebalance(T0);
        fleet.workers(B);
        UnitId moved = fleet.rebalance(T0.plusSeconds(10)).moved().first();
        // Its new owner's node turns unreadable: the unit has no known owner and is held back until seeded.
        fleet.unreadable.add(B);
        fleet.held.add(moved);
        fleet.rebalance(T0.plusSeconds(15));
        fleet.held.clear();
        fleet.rebalance(T0.plusSeconds(20));

        fleet.decide(T0.plusSeconds(25));

        assertThat(lastView().movedAt()).containsEntry(moved, T0.plusSeconds(10));
    }

    @Test
    void aDecisionNotPublishedMovesNothing() {
        fleet.workers(A).units(P0, P1).node(A, P0, P1);
        fleet.rebalance(T0);
        fleet.workers(B);
        fleet.decide(T0.plusSeconds(10)); // its write failed: the leader is not told

        fleet.decide(T0.plusSeconds(20));

        assertThat(lastView().movedAt()).isEmpty();
    }

    @Test
    void aDecisionWithNothingToWriteForgetsNoMoves() {
        fleet.workers(A).units(P0, P1).node(A, P0, P1);
        fleet.rebalance(T0);
        fleet.workers(B);
        LeaderDecisions.Decision split = fleet.rebalance(T0.plusSeconds(10));
        fleet.live.clear(); // every worker gone at once
        LeaderDecisions.Decision none = fleet.rebalance(T0.plusSeconds(20));
        assertThat(none.writes()).isEmpty();
        assertThat(none.departed()).containsExactly(A, B);

        fleet.workers(A, B);
        fleet.decide(T0.plusSeconds(30));

        assertThat(lastView().movedAt()).containsOnlyKeys(split.moved());
    }

    // ---- the periodic check

    @Test
    void aFleetAsDecidedNeedsNoRebalanceAndEveryPartIsRead() {
        fleet.workers(A, B).units(UnitSpec.of(PARENT), UnitSpec.child(CHILD, PARENT), UnitSpec.of(P0));
        fleet.loads.put(P0, 0.5);
        fleet.rebalance(T0);

        assertThat(fleet.check()).isEmpty();
        assertThat(fleet.reads).containsExactly("units", "assignments", "loads", "row " + PARENT);
    }

    @Test
    void unitsThatAppearedCallForARebalanceWithoutReadingFurther() {
        fleet.workers(A).units(P0);
        fleet.rebalance(T0);
        fleet.units(P1);

        assertThat(fleet.check()).map(LeaderDecisions.Change::cause).contains(LeaderDecisions.Cause.UNITS);
        assertThat(fleet.reads).containsExactly("units");
    }

    @Test
    void beforeAnyDecisionUnitsCallForOne() {
        fleet.units(P0);

        assertThat(fleet.check()).map(LeaderDecisions.Change::cause).contains(LeaderDecisions.Cause.UNITS);
    }

    @Test
    void anUnreadableNodeCallsForARebalance() {
        fleet.workers(A, B).units(P0, P1);
        fleet.rebalance(T0);
        fleet.unreadable.add(B);
        fleet.nodes.remove(B);

        Optional<LeaderDecisions.Change> change = fleet.check();

        assertThat(change).contains(new LeaderDecisions.Change(LeaderDecisions.Cause.UNREADABLE_ASSIGNMENT,
                new TreeSet<>(List.of(B)), new TreeSet<>()));
        assertThat(fleet.reads).containsExactly("units", "assignments");
    }

    @Test
    void aNodeRewrittenBySomeoneElseCallsForARebalance() {
        fleet.workers(A, B).units(P0, P1);
        fleet.rebalance(T0);
        SortedSet<UnitId> all = set(P0, P1);
        fleet.nodes.put(A, all);

        Optional<LeaderDecisions.Change> change = fleet.check();

        assertThat(change).map(LeaderDecisions.Change::cause).contains(LeaderDecisions.Cause.ASSIGNMENT_NOT_AS_DECIDED);
        assertThat(change.orElseThrow().workers()).containsExactly(A);
        assertThat(fleet.reads).containsExactly("units", "assignments");
    }

    @Test
    void aNodeDeletedBySomeoneElseCallsForARebalanceUnlessItsWorkerHadNoUnits() {
        fleet.workers(A, B, C).units(P0, P1);
        fleet.rebalance(T0);
        WorkerId idle = fleet.nodes.entrySet().stream().filter(e -> e.getValue().isEmpty()).findFirst().orElseThrow().getKey();
        fleet.nodes.remove(idle);
        assertThat(fleet.check()).isEmpty();

        fleet.nodes.remove(A);
        Optional<LeaderDecisions.Change> change = fleet.check();

        assertThat(change).map(LeaderDecisions.Change::cause).contains(LeaderDecisions.Cause.ASSIGNMENT_NOT_AS_DECIDED);
        assertThat(change.orElseThrow().workers()).containsExactly(A);
    }

    @Test
    void aNodeTheLeaderMayNotReadIsNotTakenForOneThatIsGone() {
        fleet.workers(A).units(P0);
        fleet.rebalance(T0);
        fleet.nodes.remove(A);
        fleet.forbidden.add(A);

        assertThat(fleet.check()).isEmpty();
    }

    @Test
    void otherLoadsCallForARebalance() {
        fleet.workers(A).units(P0);
        fleet.loads.put(P0, 0.5);
        fleet.rebalance(T0);
        fleet.loads.put(P0, 0.75);

        assertThat(fleet.check()).map(LeaderDecisions.Change::cause).contains(LeaderDecisions.Cause.LOADS);
        assertThat(fleet.reads).containsExactly("units", "assignments", "loads");
    }

    @Test
    void aParentsRowThatSaysEndedCallsForARebalanceUntilItIsKnown() {
        fleet.workers(A).units(UnitSpec.of(PARENT), UnitSpec.child(CHILD, PARENT));
        fleet.rebalance(T0);
        fleet.endedRows.add(PARENT);

        Optional<LeaderDecisions.Change> change = fleet.check();
        assertThat(change).map(LeaderDecisions.Change::cause).contains(LeaderDecisions.Cause.PARENTS_ENDED);
        assertThat(change.orElseThrow().units()).containsExactly(PARENT);

        fleet.rebalance(T0.plusSeconds(1));
        assertThat(fleet.check()).isEmpty();
        assertThat(fleet.reads).as("a parent known ended is not asked about").doesNotContain("row " + PARENT);
    }

    @Test
    void theFleetIsCheckedAgainstTheLastPublishedDecisionOnly() {
        fleet.workers(A).units(P0, P1);
        fleet.rebalance(T0);
        fleet.workers(B);
        LeaderDecisions.Decision unpublished = fleet.decide(T0.plusSeconds(1));
        assertThat(unpublished.writes()).isNotEmpty();

        assertThat(fleet.check()).as("the nodes still say what was published").isEmpty();
    }

    @Test
    void aNewLeadershipChecksAgainstNothingDecided() {
        fleet.workers(A).units(P0);
        fleet.rebalance(T0);
        fleet.nodes.remove(A);

        decisions.leadershipStarted();

        assertThat(fleet.check()).isEmpty();
    }

    // ---- the values

    @Test
    void assignmentNodesSayWhoHasOne() {
        AssignmentNodes nodes = new AssignmentNodes(new TreeMap<>(Map.of(A, set(P0), B, set(P0, P1))), Set.of(C),
                Set.of(WorkerId.of("worker-d")));

        assertThat(nodes.hasNode(A)).isTrue();
        assertThat(nodes.hasNode(C)).isTrue();
        assertThat(nodes.hasNode(WorkerId.of("worker-d"))).isTrue();
        assertThat(nodes.hasNode(WorkerId.of("worker-e"))).isFalse();
        assertThat(nodes.workers()).containsExactly(A, B, C);
        assertThat(nodes.owners()).as("a unit two nodes name goes to the last").containsOnly(entry(P0, B), entry(P1, B));
        assertThat(AssignmentNodes.NONE.workers()).isEmpty();
    }

    @Test
    void aChangeNamesWhatItConcerns() {
        LeaderDecisions.Change change = new LeaderDecisions.Change(LeaderDecisions.Cause.PARENTS_ENDED, new TreeSet<>(),
                set(PARENT));

        assertThat(change.units()).containsExactly(PARENT);
        assertThat(change.workers()).isEmpty();
    }
}
