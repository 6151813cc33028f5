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
import dev.streamfleet.coordinator.internal.zk.SimLeaderReads;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * A worker's leader side, deciding with the production {@link LeaderDecisions} and
 * {@link StartSeeding}: while the ensemble names it leader, it rebalances after the fleet
 * changes (quiet period and longest delay as configured by default), decides from the loads the
 * workers published, and checks for new units and other loads every discovery interval,
 * publishing only the assignments that changed, under a new generation. As production's leader,
 * it reads from its own server (which may lag), through production's {@code LeaderReads} over the
 * server's znodes ({@link SimLeaderReads}), decides, and writes later, in one transaction that
 * the ensemble refuses whole when its election node is gone or the generation moved on since it
 * read it; its one thread is held from its reads to its write, so watch events, checks and a
 * deposition wait behind a rebalance in progress.
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
    /** The session it was elected in: its election node is that session's member entry. */
    private long leadingSession;
    private dev.streamfleet.coordinator.Scheduler.Cancellable tick;
    /** A rebalance holds the thread from its reads to its last write; what comes meanwhile waits here. */
    private boolean rebalancing;
    private final List<Runnable> waiting = new ArrayList<>();

    /** Production's {@code LeaderReads} over the server's tree, with this worker's count of skipped nodes. */
    final SimLeaderReads reads;

    /** What the leader read from its server, all at once: through production's reads, and the generation node. */
    private record Reads(SimLeaderReads.Reads fleet, long generation, int generationVersion) {
    }

    SimLeader(SimWorker worker, SimLoop.Queue thread, CheckpointStore store) {
        this.worker = worker;
        this.thread = thread;
        this.store = store;
        this.reads = new SimLeaderReads(worker.fleet.streams.discovery(), store);
    }

    /** Reads the fleet from a server's tree as production's leader does, and checks what it made of the garbage. */
    private Reads read(SimZooKeeper.Tree tree) {
        SimLeaderReads.Reads fleet;
        try {
            fleet = reads.read(tree);
        } catch (Exception e) {
            throw new IllegalStateException("the leader's reads failed: " + e, e);
        }
        worker.fleet.garbage.leaderRead(worker, tree, fleet);
        return new Reads(fleet, tree.generation, tree.generationVersion);
    }

    void start() {
        watchMembers();
        watchEnded();
        worker.host.timer(CoordinatorConfig.DEFAULT_DISCOVERY_INTERVAL, this::discoveryCheck);
    }

    private SimZooKeeper zk() {
        return worker.fleet.zk;
    }

    /** Runs {@code task} on the leader's thread once no rebalance holds it. */
    private void onThread(Runnable task) {
        thread.execute(() -> {
            if (rebalancing) {
                waiting.add(task);
            } else {
                task.run();
            }
        });
    }

    /** The connection came back: the latch looks at the election again. */
    void reconnected() {
        onThread(this::checkLeadership);
    }

    /** A new session: the election is entered again, as production's leader latch does. */
    void newSession() {
        watchMembers();
        watchEnded();
    }

    private void watchMembers() {
        zk().watch("members", worker.client.sessionId(), worker.client, () -> {
            onThread(this::checkLeadership);
            watchMembers();
        });
        onThread(this::checkLeadership);
    }

    /** The reports of ended units, watched again each time they change, as production watches {@code ended/}. */
    private void watchEnded() {
        zk().watch("ended", worker.client.sessionId(), worker.client, () -> {
            onThread(this::changed);
            watchEnded();
        });
    }

    /**
     * As the leader latch, from what its server answers (so only while connected): it leads when its
     * own election node, its session's member entry, is the first; it no longer leads when it is not.
     */
    private void checkLeadership() {
        if (!worker.client.connected()) {
            return;
        }
        SimZooKeeper.Tree view = worker.client.view();
        long session = worker.client.sessionId();
        boolean now = !view.members.isEmpty() && view.members.firstKey() == session;
        if (now && !leading) {
            leading = true;
            leadingSession = session;
            schedule = new RebalanceSchedule(CoordinatorConfig.DEFAULT_REBALANCE_QUIET,
                    CoordinatorConfig.DEFAULT_REBALANCE_MAX_DELAY);
            starts = new StartSeeding(store, worker.fleet.streams.discovery());
            decisions.leadershipStarted();
            worker.loop.trace.add(worker.loop.now(), worker.id.value(), "elected leader in session " + session);
        } else if (!now && leading) {
            worker.loop.trace.add(worker.loop.now(), worker.id.value(), "no longer leads: the first election node"
                    + " is not that of session " + session);
            stopLeading();
        }
        if (leading) {
            changed();
        }
    }

    /** The latch says it no longer leads (the connection was lost): heard after a rebalance in progress. */
    void deposed() {
        onThread(this::stopLeading);
    }

    private void stopLeading() {
        leading = false;
        if (tick != null) {
            tick.cancel();
        }
    }

    private void discoveryCheck() {
        onThread(() -> {
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
                () -> onThread(this::onTick)));
    }

    private void retryLater() {
        if (leading) {
            schedule.changed(worker.loop.now().plusSeconds(1));
            changed();
        }
    }

    private void onTick() {
        if (!leading || !schedule.isDue(worker.loop.now())) {
            return;
        }
        schedule.started();
        rebalancing = true;
        long electedIn = leadingSession;
        call(() -> worker.client.read("the leader's reads", (session, tree) -> read(tree)),
                (reads, failure) -> thread.execute(() -> {
                    if (failure != null) {
                        failed("rebalance failed: " + failure.getMessage());
                        return;
                    }
                    try {
                        decideAndPublish(reads, electedIn);
                    } catch (RuntimeException e) {
                        failed("rebalance failed: " + e);
                    }
                }));
    }

    /**
     * A foreground operation as Curator runs it under production's retry policy
     * ({@code ExponentialBackoffRetry(100, 3, 1_000)}, connection timeout the session timeout): each
     * attempt waits up to the connection timeout for a connection; a connection loss or an expired
     * session is tried again three times, the last in whatever session the client has by then.
     */
    private <T> void call(Supplier<CompletionStage<T>> send, BiConsumer<T, Throwable> then) {
        attempt(send, then, 0, worker.loop.now().plus(worker.client.zk.sessionTimeout));
    }

    private <T> void attempt(Supplier<CompletionStage<T>> send, BiConsumer<T, Throwable> then, int retries,
                             Instant waitUntil) {
        if (!worker.client.connected()) {
            if (!worker.loop.now().isBefore(waitUntil)) {
                then.accept(null, new SimClient.ConnectionLoss("not connected within the connection timeout"));
            } else {
                worker.host.timer(SimZooKeeper.TICK, () -> attempt(send, then, retries, waitUntil));
            }
            return;
        }
        send.get().whenComplete((result, failure) -> {
            Throwable cause = failure instanceof java.util.concurrent.CompletionException ? failure.getCause() : failure;
            if ((cause instanceof SimClient.ConnectionLoss || cause instanceof SimClient.SessionExpired) && retries < 3) {
                long sleep = Math.min(1000, 100L * (1 + worker.loop.random.nextInt(1 << (retries + 1))));
                worker.host.timer(Duration.ofMillis(sleep), () -> attempt(send, then, retries + 1,
                        worker.loop.now().plus(worker.client.zk.sessionTimeout)));
            } else {
                then.accept(result, cause);
            }
        });
    }

    private void failed(String why) {
        worker.loop.trace.add(worker.loop.now(), worker.id.value(), why);
        retryLater();
        done();
    }

    /** The rebalance is over: what waited for the thread runs, in order, until one starts a rebalance again. */
    private void done() {
        rebalancing = false;
        while (!rebalancing && !waiting.isEmpty()) {
            waiting.remove(0).run();
        }
    }

    private void decideAndPublish(Reads reads, long electedIn) {
        Map<UnitId, UnitSpec> units = units();
        SimLeaderReads.Reads fleet = reads.fleet();
        AssignmentNodes nodes = fleet.assignments();
        Set<UnitId> held = starts.settle(units, nodes.owners().keySet());
        List<UnitId> reports = fleet.ended();
        LeaderDecisions.Decision decision = decisions.decide(new LeaderDecisions.Facts(fleet.workers(),
                fleet.capacities(), units, nodes, reports, held, fleet.loads()), this::endedInTheStore, worker.loop.now());
        decision.writes().forEach((to, mine) -> {
            if (!mine.isEmpty() && !fleet.workers().contains(to)) {
                worker.fleet.history.violation(worker + " as leader gave " + mine + " to " + to
                        + ", which is no live worker it read (a persistent or garbage node?)");
            }
        });
        if (decision.writes().isEmpty()) {
            decisions.published(decision, worker.loop.now());
            cleanUp(decision, reports);
            return;
        }
        long generation = reads.generation() + 1;
        Map<WorkerId, AssignedUnits> written = new TreeMap<>();
        decision.writes().forEach((w, mine) -> written.put(w, new AssignedUnits(generation, mine)));
        Set<WorkerId> nodesRead = Set.copyOf(nodes.workers());
        call(() -> worker.client.request("publish generation " + generation, session -> {
            zk().publish(electedIn, reads.generationVersion(), generation, written, nodesRead);
            return true;
        }), (ok, failure) -> thread.execute(() -> {
            if (failure != null) {
                failed("generation " + generation + " not published (deposed, or raced another leader?): "
                        + failure.getMessage());
                return;
            }
            worker.loop.trace.add(worker.loop.now(), worker.id.value(), "published generation " + generation + ": "
                    + written.values() + " (" + decision.reason() + ")");
            countLoadMoves(decision);
            decisions.published(decision, worker.loop.now());
            cleanUp(decision, reports);
        }));
    }

    /** As production, after a publish: each departed worker's assignment and each report taken in deleted on its own. */
    private void cleanUp(LeaderDecisions.Decision decision, List<UnitId> reports) {
        List<WorkerId> departed = List.copyOf(decision.departed());
        if (departed.isEmpty() && reports.isEmpty()) {
            finish(decision);
            return;
        }
        call(() -> worker.client.request("delete departed assignments and ended reports", session -> {
            departed.forEach(zk()::deleteAssignment);
            reports.forEach(unit -> zk().removeEnded(SimLeaderReads.nodeName(unit)));
            return true;
        }), (ok, failure) -> thread.execute(() -> {
            if (failure != null) {
                failed("rebalance failed: " + failure.getMessage());
            } else {
                finish(decision);
            }
        }));
    }

    private void finish(LeaderDecisions.Decision decision) {
        if (decision.retryLater()) {
            retryLater();
        }
        done();
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

    private Map<UnitId, UnitSpec> units() {
        Map<UnitId, UnitSpec> units = new TreeMap<>();
        worker.fleet.streams.discovery().discover().forEach(spec -> units.put(spec.id(), spec));
        return units;
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
        if (!worker.client.connected()) {
            return;
        }
        SimZooKeeper.Tree view = worker.client.view();
        java.util.Optional<LeaderDecisions.Change> found;
        try {
            found = decisions.check(reads.checkReads(view));
        } catch (Exception e) {
            throw new IllegalStateException("the leader's check failed: " + e, e);
        }
        found.ifPresent(change -> {
            worker.loop.trace.add(worker.loop.now(), worker.id.value(), "the leader's check found " + change);
            changed();
        });
    }
}
