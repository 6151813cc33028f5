package dev.streamfleet.simulation;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.coordinator.AssignedUnits;
import dev.streamfleet.coordinator.AssignmentNodes;
import dev.streamfleet.coordinator.BalancePolicy;
import dev.streamfleet.coordinator.Balancing;
import dev.streamfleet.coordinator.CoordinatorConfig;
import dev.streamfleet.coordinator.FleetReads;
import dev.streamfleet.coordinator.LeaderDecisions;
import dev.streamfleet.coordinator.LoadMove;
import dev.streamfleet.coordinator.RebalanceSchedule;
import dev.streamfleet.coordinator.StartSeeding;
import dev.streamfleet.coordinator.StickyBalancedStrategy;
import dev.streamfleet.coordinator.UnitSpec;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A worker's leader side, deciding with the production {@link LeaderDecisions} and
 * {@link StartSeeding}: while the ensemble names it leader, it rebalances after the fleet
 * changes (quiet period and longest delay as configured by default), decides from the loads the
 * workers published, and checks for new units and other loads every discovery interval,
 * publishing only the assignments that changed, under a new generation, and only while its
 * session still leads.
 */
final class SimLeader {

    private final SimWorker worker;
    private final SimLoop.Queue thread;
    private final CheckpointStore store;
    /**
     * The production policy, but for its minimum stay: 5 minutes outlast a run of 150 s, in which a
     * unit that moved once (at the start, at a join) could never move for load again. 30 s is three
     * load samples: a unit's new owner has published its figure before the unit may move again.
     */
    static final BalancePolicy POLICY = new BalancePolicy(BalancePolicy.DEFAULT.trigger(), BalancePolicy.DEFAULT.target(),
            BalancePolicy.DEFAULT.maxMovedShare(), Duration.ofSeconds(30), BalancePolicy.DEFAULT.minGain(),
            BalancePolicy.DEFAULT.idleBelow());

    private final LeaderDecisions decisions = new LeaderDecisions(new StickyBalancedStrategy(POLICY),
            new Balancing(POLICY, Map.of()));
    private StartSeeding starts;
    private RebalanceSchedule schedule;
    private boolean leading;
    /** When this leader last moved each unit, as it published. */
    private final Map<UnitId, Instant> movedAt = new HashMap<>();
    private long leadingSession;
    private dev.streamfleet.coordinator.Scheduler.Cancellable tick;

    SimLeader(SimWorker worker, SimLoop.Queue thread, CheckpointStore store) {
        this.worker = worker;
        this.thread = thread;
        this.store = store;
    }

    void start() {
        watchMembers();
        watchEnded();
        worker.host.timer(CoordinatorConfig.DEFAULT_DISCOVERY_INTERVAL, this::discoveryCheck);
    }

    private SimZooKeeper zk() {
        return worker.fleet.zk;
    }

    /** The connection came back: the latch looks at the election again. */
    void reconnected() {
        thread.execute(this::checkLeadership);
    }

    /** A new session: the election is entered again, as production's leader latch does. */
    void newSession() {
        watchMembers();
        watchEnded();
    }

    /** Whether a request of the leader reaches the ensemble in the session it leads with. */
    private boolean reaches() {
        return worker.client.linkUp() && zk().alive(leadingSession) && worker.client.sessionId() == leadingSession
                && zk().leader().filter(worker.id::equals).isPresent();
    }

    private void watchMembers() {
        zk().watch("members", worker.client.sessionId(), worker.client, () -> {
            thread.execute(this::checkLeadership);
            watchMembers();
        });
        thread.execute(this::checkLeadership);
    }

    /** The reports of ended units, watched again each time they change, as production watches {@code ended/}. */
    private void watchEnded() {
        zk().watch("ended", worker.client.sessionId(), worker.client, () -> {
            thread.execute(this::changed);
            watchEnded();
        });
    }

    private void checkLeadership() {
        boolean now = zk().leader().filter(worker.id::equals).isPresent()
                && zk().members.get(worker.client.sessionId()) != null;
        if (now && !leading) {
            leading = true;
            leadingSession = worker.client.sessionId();
            schedule = new RebalanceSchedule(CoordinatorConfig.DEFAULT_REBALANCE_QUIET,
                    CoordinatorConfig.DEFAULT_REBALANCE_MAX_DELAY);
            starts = new StartSeeding(store, worker.fleet.streams.discovery());
            decisions.leadershipStarted();
            worker.loop.trace.add(worker.loop.now(), worker.id.value(), "elected leader");
        }
        if (leading) {
            changed();
        }
    }

    void deposed() {
        leading = false;
        if (tick != null) {
            tick.cancel();
        }
    }

    private void discoveryCheck() {
        thread.execute(() -> {
            if (leading) {
                check();
            }
        });
        worker.host.timer(CoordinatorConfig.DEFAULT_DISCOVERY_INTERVAL, this::discoveryCheck);
    }

    private void changed() {
        if (!leading) {
            return;
        }
        schedule.changed(worker.loop.now());
        if (tick != null) {
            tick.cancel();
        }
        schedule.dueAt().ifPresent(due -> tick = worker.host.timer(Duration.between(worker.loop.now(), due),
                () -> thread.execute(this::onTick)));
    }

    private void onTick() {
        if (!leading || !schedule.isDue(worker.loop.now())) {
            return;
        }
        schedule.started();
        if (!reaches()) {
            if (!zk().alive(leadingSession)) {
                deposed();
            } else {
                // Cut off: the reads fail; tried again as after any failed rebalance.
                schedule.changed(worker.loop.now().plusSeconds(1));
                changed();
            }
            return;
        }
        try {
            rebalance();
        } catch (RuntimeException e) {
            worker.loop.trace.add(worker.loop.now(), worker.id.value(), "rebalance failed: " + e);
            schedule.changed(worker.loop.now().plusSeconds(1));
            changed();
        }
    }

    private void rebalance() {
        SimZooKeeper zk = zk();
        SortedSet<WorkerId> workers = new TreeSet<>(zk.members.values());
        Map<UnitId, UnitSpec> units = units();
        AssignmentNodes nodes = nodes();
        Set<UnitId> held = starts.settle(units, nodes.owners().keySet());
        List<UnitId> reports = List.copyOf(zk.ended);
        LeaderDecisions.Decision decision = decisions.decide(new LeaderDecisions.Facts(workers, Map.of(), units, nodes,
                reports, held, loads(nodes.owners())), this::endedInTheStore, worker.loop.now());
        if (!decision.writes().isEmpty()) {
            if (!zk.alive(leadingSession) || zk.leader().filter(worker.id::equals).isEmpty()) {
                deposed();
                return;
            }
            long generation = zk.generation + 1;
            Map<WorkerId, AssignedUnits> written = new TreeMap<>();
            decision.writes().forEach((w, mine) -> written.put(w, new AssignedUnits(generation, mine)));
            zk.publish(generation, written);
            worker.loop.trace.add(worker.loop.now(), worker.id.value(), "published generation " + generation + ": "
                    + written.values() + " (" + decision.reason() + ")");
            countLoadMoves(decision);
        }
        decisions.published(decision, worker.loop.now());
        decision.departed().forEach(zk::deleteAssignment);
        reports.forEach(zk.ended::remove);
        if (decision.retryLater()) {
            schedule.changed(worker.loop.now().plusSeconds(1));
            changed();
        }
    }

    /**
     * Counts the published moves of units that had an owner, which the strategy made for load, and
     * checks the policy's promise of calm: a unit moves for load only {@code minStay} after this
     * leader last moved it (production's leader remembers its own moves only). Exempt: a move to a
     * worker that held nothing, which an empty worker takes at once, however recently the unit moved.
     */
    private void countLoadMoves(LeaderDecisions.Decision decision) {
        Set<UnitId> moved = decision.moved();
        Instant now = worker.loop.now();
        for (LoadMove move : decision.assignment().loadMoves()) {
            if (!moved.contains(move.unit())) {
                continue;
            }
            worker.fleet.measures.loadMoves++;
            if (move.fromLevel() > POLICY.trigger()) {
                worker.fleet.measures.loadMovesOverTrigger++;
            }
            Instant before = movedAt.get(move.unit());
            if (move.toLevel() > 0 && before != null && before.plus(POLICY.minStay()).isAfter(now)) {
                worker.fleet.history.violation(move.unit() + " moved for load from " + move.from() + " to " + move.to()
                        + " " + Duration.between(before, now).toMillis() + " ms after " + worker
                        + " last moved it, before its minimum stay of " + POLICY.minStay().toSeconds() + " s");
            }
        }
        moved.forEach(unit -> movedAt.put(unit, now));
    }

    /** As production's {@code LeaderReads.loads}: each unit's owner's figure, or another worker's. */
    private Map<UnitId, Double> loads(Map<UnitId, WorkerId> owners) {
        Map<UnitId, Double> loads = new HashMap<>();
        zk().loads.forEach((w, published) -> published.loads().forEach((unit, load) -> {
            if (w.equals(owners.get(unit))) {
                loads.put(unit, load.load());
            } else {
                loads.putIfAbsent(unit, load.load());
            }
        }));
        return loads;
    }

    private Map<UnitId, UnitSpec> units() {
        Map<UnitId, UnitSpec> units = new TreeMap<>();
        worker.fleet.streams.discovery().discover().forEach(spec -> units.put(spec.id(), spec));
        return units;
    }

    private AssignmentNodes nodes() {
        SortedMap<WorkerId, SortedSet<UnitId>> readable = new TreeMap<>();
        Set<WorkerId> unreadable = new HashSet<>();
        zk().assignments.forEach((w, body) -> {
            if (body instanceof AssignedUnits assigned) {
                readable.put(w, assigned.units());
            } else {
                unreadable.add(w);
            }
        });
        return new AssignmentNodes(readable, unreadable, Set.of());
    }

    /** As production reads it: a row that cannot be read says no, and the children wait. */
    private boolean endedInTheStore(UnitId unit) {
        try {
            return store.read(unit).map(Checkpoint::isEnded).orElse(false);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The periodic check, as production's: a rebalance when the fleet changed since the last decision. */
    private void check() {
        if (!reaches()) {
            return;
        }
        decisions.check(new FleetReads<RuntimeException>() {
            @Override
            public Map<UnitId, UnitSpec> units() {
                return SimLeader.this.units();
            }

            @Override
            public AssignmentNodes assignments() {
                return nodes();
            }

            @Override
            public Map<UnitId, Double> loads(Map<UnitId, WorkerId> owners) {
                return SimLeader.this.loads(owners);
            }

            @Override
            public boolean saysEnded(UnitId unit) {
                return endedInTheStore(unit);
            }
        }).ifPresent(change -> {
            worker.loop.trace.add(worker.loop.now(), worker.id.value(), "the leader's check found " + change);
            changed();
        });
    }
}
