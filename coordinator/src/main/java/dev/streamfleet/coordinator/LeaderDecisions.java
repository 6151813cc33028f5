package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.time.Instant;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the leader decides, and what it remembers between decisions, with no ZooKeeper, store or
 * clock of its own: the facts come in as the project's types, and the answers go out as them
 * (docs/design.md §6). The ZooKeeper leader and a simulated fleet run the same code.
 *
 * <p>One rebalance:
 * <pre>{@code
 * Facts facts = ...;                                   // read the fleet: workers, units, assignment nodes,
 *                                                      // ended/ reports, units held back by StartSeeding, loads
 * Decision decision = decisions.decide(facts, rows, now);
 * if (!decision.writes().isEmpty()) {
 *     ...                                              // write decision.writes(), all at once, with generation + 1
 * }
 * decisions.published(decision, at);                   // once the write succeeded (or at once, when none was needed)
 * ...                                                  // delete decision.departed()'s nodes and the ended/ reports
 * if (decision.retryLater()) { ... }                   // rebalance again soon: units were held back
 * }</pre>
 * A write that fails is not told: the next decision starts from what is then read. Between
 * rebalances, {@link #check} says whether the fleet changed since the last one.
 *
 * <p>What it remembers is what cannot be read back: the units this leader learned had ended,
 * when each unit last moved, what it last decided for each worker and the loads it decided from.
 * Not thread-safe: one thread, the leader's loop, owns it.
 */
public final class LeaderDecisions {

    private final AssignmentStrategy strategy;
    private final Balancing balancing;
    /** The units known at the last decision. */
    private Set<UnitId> discovered = Set.of();
    /** Units known to have ended: a row said so. Read afresh by each leadership. */
    private final Set<UnitId> endedUnits = new HashSet<>();
    /** When each unit last moved under this leader; a new leader starts without, which only makes it bolder. */
    private final Map<UnitId, Instant> movedAt = new HashMap<>();
    /**
     * What this leader last decided for each worker. An assignment node read later that says
     * otherwise was written by someone else (a tool, by hand) and its worker follows it, as it
     * follows a node that is gone: either calls for a rebalance that writes the decision again.
     */
    private Map<WorkerId, SortedSet<UnitId>> decided = Map.of();
    /** The loads workers had published at the last decision; different ones read later call for another. */
    private Map<UnitId, Double> decidedLoads = Map.of();
    /**
     * The last load any worker published for each unit: a unit that just moved keeps its figure
     * until its new owner has measured it, instead of counting as unknown meanwhile.
     */
    private final Map<UnitId, Double> lastKnownLoads = new HashMap<>();

    /**
     * @param strategy  decides the assignment from the fleet's view
     * @param balancing weights pinned by configuration, which come before measured loads
     */
    public LeaderDecisions(AssignmentStrategy strategy, Balancing balancing) {
        this.strategy = Objects.requireNonNull(strategy, "strategy");
        this.balancing = Objects.requireNonNull(balancing, "balancing");
    }

    /**
     * This process leads again: what it learned from rows and what it decided are read afresh,
     * like everything else a new leader decides from.
     */
    public void leadershipStarted() {
        endedUnits.clear();
        decided = Map.of();
    }

    /**
     * The next assignment, from the fleet as just read. Remembers the units, the ended units and
     * the loads it decided from; what it decided counts only once {@link #published} says so.
     *
     * @param rows asked whether units' rows say ENDED: each {@code ended/} report's unit this
     *             leader does not know ended yet, and each current unit's parents not known ended
     * @param now  the time of the decision, for the strategy's view of recent moves
     */
    public Decision decide(Facts facts, EndedRows rows, Instant now) {
        AssignmentNodes nodes = facts.assignments();
        SortedSet<WorkerId> workers = new TreeSet<>(facts.workers());
        workers.removeAll(nodes.forbidden());
        Map<WorkerId, Integer> capacities = new HashMap<>(facts.capacities());
        capacities.keySet().removeAll(nodes.forbidden());
        Map<UnitId, UnitSpec> units = facts.units();
        discovered = units.keySet();
        Map<UnitId, WorkerId> owners = nodes.owners();

        SortedSet<UnitId> endedNow = new TreeSet<>();
        SortedSet<UnitId> unconfirmed = new TreeSet<>();
        for (UnitId unit : facts.endedReports()) {
            if (endedUnits.contains(unit) || rows.saysEnded(unit)) {
                endedNow.add(unit);
            } else {
                unconfirmed.add(unit);
            }
        }
        endedUnits.addAll(endedNow);
        endedUnits.addAll(parentsEndedInTheStore(units, rows));
        Set<UnitId> ended = new HashSet<>(endedUnits);
        ended.retainAll(units.keySet());

        decidedLoads = facts.loads();
        lastKnownLoads.putAll(facts.loads());
        lastKnownLoads.keySet().retainAll(units.keySet());
        Assignment next = strategy.assign(new ClusterView(workers, units, owners, ended, capacities,
                balancing.loadsWith(lastKnownLoads), movedAt, now)).without(facts.held());

        SortedMap<WorkerId, SortedSet<UnitId>> assigned = new TreeMap<>();
        SortedMap<WorkerId, SortedSet<UnitId>> writes = new TreeMap<>();
        for (WorkerId worker : workers) {
            SortedSet<UnitId> mine = next.unitsOf(worker);
            assigned.put(worker, mine);
            if (!mine.equals(nodes.readable().get(worker))) {
                writes.put(worker, mine);
            }
        }
        SortedSet<WorkerId> departed = new TreeSet<>(nodes.workers());
        departed.removeAll(workers);
        SortedSet<WorkerId> joined = new TreeSet<>(workers);
        joined.removeAll(nodes.workers());
        int newUnits = (int) next.owners().keySet().stream().filter(unit -> !owners.containsKey(unit)).count();
        String reason = RebalanceReason.describe(joined, departed, endedNow, newUnits, next.loadMoves());
        return new Decision(next, owners, assigned, writes, departed, endedNow, unconfirmed, reason,
                !facts.held().isEmpty());
    }

    /**
     * The decision's writes succeeded, at {@code at}; or it had none. From now on the fleet is
     * checked against it, and the units it moved count as moved at {@code at}. Not called for a
     * write that failed.
     */
    public void published(Decision decision, Instant at) {
        if (!decision.writes().isEmpty()) {
            decision.moved().forEach(unit -> movedAt.put(unit, at));
            // Forgotten only once discovery no longer knows the unit: one held back for a while, or
            // whose owner's node could not be read, keeps its stay when it is placed again.
            movedAt.keySet().retainAll(discovered);
        }
        decided = decision.assigned();
    }

    /**
     * Whether the fleet changed since the last decision so that another is needed, and the first
     * change found: units appeared or went, an assignment node does not parse or is not what this
     * leader decided (or is gone), workers published other loads, or a current unit's parent's row
     * says it ended though no report came. Reads only as far as the first change.
     */
    public <E extends Exception> Optional<Change> check(FleetReads<E> reads) throws E {
        Map<UnitId, UnitSpec> units = reads.units();
        if (!units.keySet().equals(discovered)) {
            return Optional.of(Change.of(Cause.UNITS));
        }
        AssignmentNodes nodes = reads.assignments();
        if (!nodes.unreadable().isEmpty()) {
            return Optional.of(new Change(Cause.UNREADABLE_ASSIGNMENT, new TreeSet<>(nodes.unreadable()), new TreeSet<>()));
        }
        SortedSet<WorkerId> different = differentFromDecided(nodes);
        if (!different.isEmpty()) {
            return Optional.of(new Change(Cause.ASSIGNMENT_NOT_AS_DECIDED, different, new TreeSet<>()));
        }
        if (!reads.loads(nodes.owners()).equals(decidedLoads)) {
            return Optional.of(Change.of(Cause.LOADS));
        }
        SortedSet<UnitId> parentsEnded = parentsEndedInTheStore(units, reads);
        if (!parentsEnded.isEmpty()) {
            return Optional.of(new Change(Cause.PARENTS_ENDED, new TreeSet<>(), parentsEnded));
        }
        return Optional.empty();
    }

    /**
     * The workers whose readable node names other units than this leader last decided for them,
     * and those it decided units for whose node is gone (a tool's delete, or a deposed leader's
     * late delete of a departed worker's node): such a worker reads "no units" and releases its
     * own. A node that cannot be read is left to the callers.
     */
    private SortedSet<WorkerId> differentFromDecided(AssignmentNodes nodes) {
        SortedSet<WorkerId> different = new TreeSet<>();
        decided.forEach((worker, units) -> {
            SortedSet<UnitId> node = nodes.readable().get(worker);
            if (node != null ? !node.equals(units) : !nodes.hasNode(worker) && !units.isEmpty()) {
                different.add(worker);
            }
        });
        return different;
    }

    /**
     * The parents of current units that are not known to have ended but whose rows say they did.
     * The lineage comes from the rows, not only from {@code ended/}: a report that was never
     * written (its owner lost ZooKeeper just then) must not hold the children back.
     */
    private SortedSet<UnitId> parentsEndedInTheStore(Map<UnitId, UnitSpec> units, EndedRows rows) {
        SortedSet<UnitId> found = new TreeSet<>();
        // In order, so that a simulated store sees the same questions in the same order on every run.
        for (UnitId unit : new TreeSet<>(units.keySet())) {
            for (UnitId parent : units.get(unit).parents()) {
                if (units.containsKey(parent) && !endedUnits.contains(parent) && !found.contains(parent)
                        && rows.saysEnded(parent)) {
                    found.add(parent);
                }
            }
        }
        return found;
    }

    /**
     * The fleet as read for one decision.
     *
     * @param workers      the live workers (a session holds their registration)
     * @param capacities   the capacity each live worker published, where it could be read
     * @param units        every unit discovery knows, by id
     * @param assignments  the assignment nodes
     * @param endedReports the units named under {@code ended/}: prompts to look at their rows, which decide
     * @param held         units whose start is not settled yet ({@link StartSeeding}): assigned to nobody
     * @param loads        the loads workers published, as {@link FleetReads#loads} reads them
     */
    public record Facts(SortedSet<WorkerId> workers, Map<WorkerId, Integer> capacities, Map<UnitId, UnitSpec> units,
                        AssignmentNodes assignments, List<UnitId> endedReports, Set<UnitId> held,
                        Map<UnitId, Double> loads) {

        public Facts {
            workers = Collections.unmodifiableSortedSet(new TreeSet<>(workers));
            capacities = Map.copyOf(capacities);
            units = Map.copyOf(units);
            Objects.requireNonNull(assignments, "assignments");
            endedReports = List.copyOf(endedReports);
            held = Set.copyOf(held);
            loads = Map.copyOf(loads);
        }
    }

    /**
     * One rebalance's decision.
     *
     * @param assignment   the next assignment, of the live workers
     * @param owners       each unit's worker before it, as the readable nodes said
     * @param assigned     each live worker's units: what the fleet is checked against once published
     * @param writes       the workers whose node must be written (it is missing, unreadable or
     *                     names other units), and what with; nothing to publish when empty
     * @param departed     workers with a node but no live registration: their nodes are deleted
     * @param ended        units whose {@code ended/} report their row confirmed
     * @param unconfirmed  units whose {@code ended/} report their row does not confirm: the report
     *                     ends nothing, and is deleted like the others
     * @param reason       why, in words, for the published record
     * @param retryLater   whether units were held back, so that another rebalance must follow soon
     */
    public record Decision(Assignment assignment, Map<UnitId, WorkerId> owners,
                           SortedMap<WorkerId, SortedSet<UnitId>> assigned,
                           SortedMap<WorkerId, SortedSet<UnitId>> writes, SortedSet<WorkerId> departed,
                           SortedSet<UnitId> ended, SortedSet<UnitId> unconfirmed, String reason, boolean retryLater) {

        public Decision {
            Objects.requireNonNull(assignment, "assignment");
            owners = Map.copyOf(owners);
            assigned = Collections.unmodifiableSortedMap(new TreeMap<>(assigned));
            writes = Collections.unmodifiableSortedMap(new TreeMap<>(writes));
            departed = Collections.unmodifiableSortedSet(new TreeSet<>(departed));
            ended = Collections.unmodifiableSortedSet(new TreeSet<>(ended));
            unconfirmed = Collections.unmodifiableSortedSet(new TreeSet<>(unconfirmed));
            Objects.requireNonNull(reason, "reason");
        }

        /** The units that had an owner and get another one. */
        public SortedSet<UnitId> moved() {
            return assignment.movedFrom(owners);
        }

        /** Each unit that gets a worker it did not have: moved, new, or back from a departed worker. */
        public Map<UnitId, WorkerId> movedTo() {
            Map<UnitId, WorkerId> movedTo = new HashMap<>();
            assignment.owners().forEach((unit, worker) -> {
                if (!worker.equals(owners.get(unit))) {
                    movedTo.put(unit, worker);
                }
            });
            return movedTo;
        }
    }

    /** What {@link #check} found changed. */
    public enum Cause {
        /** Units appeared or went. */
        UNITS,
        /** An assignment node does not parse: its worker ignores it and keeps its units. */
        UNREADABLE_ASSIGNMENT,
        /** An assignment node is not what this leader last decided, or is gone: someone else wrote it. */
        ASSIGNMENT_NOT_AS_DECIDED,
        /** Workers published other loads. */
        LOADS,
        /** A current unit's parent's row says it ended, though no report of it came. */
        PARENTS_ENDED
    }

    /**
     * A change that calls for a rebalance.
     *
     * @param cause   what changed
     * @param workers the workers concerned, where the cause names workers
     * @param units   the units concerned, where the cause names units
     */
    public record Change(Cause cause, SortedSet<WorkerId> workers, SortedSet<UnitId> units) {

        public Change {
            Objects.requireNonNull(cause, "cause");
            workers = Collections.unmodifiableSortedSet(new TreeSet<>(workers));
            units = Collections.unmodifiableSortedSet(new TreeSet<>(units));
        }

        static Change of(Cause cause) {
            return new Change(cause, new TreeSet<>(), new TreeSet<>());
        }
    }
}
