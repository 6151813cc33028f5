package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.coordinator.Assignment;
import dev.streamfleet.coordinator.AssignmentStrategy;
import dev.streamfleet.coordinator.ClusterView;
import dev.streamfleet.coordinator.CoordinatorConfig;
import dev.streamfleet.coordinator.RebalanceRecord;
import dev.streamfleet.coordinator.RebalanceSchedule;
import dev.streamfleet.coordinator.Scheduler;
import dev.streamfleet.coordinator.StartSeeding;
import dev.streamfleet.coordinator.TaskFailures;
import dev.streamfleet.coordinator.UnitDiscovery;
import dev.streamfleet.coordinator.UnitLoad;
import dev.streamfleet.coordinator.UnitSpec;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.UnitId;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.WatcherRemoveCuratorFramework;
import org.apache.curator.framework.api.CuratorWatcher;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's work: watch the fleet (workers joining and leaving, units ending, new units),
 * and publish a new assignment a short, bounded time after a change. Everything runs on one
 * thread, the executor given at construction; ZooKeeper watches only post to it. Everything it
 * decides from is read from ZooKeeper, discovery and the checkpoint store at rebalance time, so
 * a new leader simply continues (docs/design.md §6).
 */
final class RebalanceLoop {

    private static final Logger LOG = LoggerFactory.getLogger(RebalanceLoop.class);
    private static final int HISTORY = 50;
    private static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(1);

    private final CuratorFramework client;
    private final ZkPaths paths;
    private final CoordinatorConfig config;
    private final UnitDiscovery discovery;
    private final CheckpointStore store;
    private final AssignmentStrategy strategy;
    private final Clock clock;
    private final ScheduledExecutorService executor;
    private final RebalanceHistory history = new RebalanceHistory(HISTORY);
    private final SettleMeter settle;
    private final SkippedNodes skipped;
    private final TaskFailures failures;
    /** Where units seen for the first time start; new for each leadership, as it reads the store afresh. */
    private StartSeeding starts;

    // Owned by the executor thread.
    private boolean active;
    private String electionPath;
    private WatcherRemoveCuratorFramework watches;
    private RebalanceSchedule schedule;
    private ScheduledFuture<?> tick;
    private ScheduledFuture<?> discoveryCheck;
    private Set<UnitId> discovered = Set.of();
    private final Set<UnitId> endedUnits = new HashSet<>();
    /** When each unit last moved under this leader; a new leader starts without, which only makes it bolder. */
    private final Map<UnitId, Instant> movedAt = new HashMap<>();
    /**
     * What this leader last decided for each worker. An assignment node read later that says
     * otherwise was written by someone else (a tool, by hand) and its worker follows it, as it
     * follows a node that is gone: either calls for a rebalance that writes the decision again.
     */
    private Map<WorkerId, SortedSet<UnitId>> decided = Map.of();
    /** The loads workers had published at the last rebalance; different ones read later call for another. */
    private Map<UnitId, Double> decidedLoads = Map.of();
    /**
     * The last load any worker published for each unit: a unit that just moved keeps its figure
     * until its new owner has measured it, instead of counting as unknown meanwhile.
     */
    private final Map<UnitId, Double> lastKnownLoads = new HashMap<>();

    RebalanceLoop(CuratorFramework client, ZkPaths paths, CoordinatorConfig config, UnitDiscovery discovery,
                  CheckpointStore store, AssignmentStrategy strategy, Clock clock, ScheduledExecutorService executor,
                  ScheduledExecutorService settleThread, SkippedNodes skipped, TaskFailures failures) {
        this.client = client;
        this.paths = paths;
        this.config = config;
        this.discovery = discovery;
        this.store = store;
        this.strategy = strategy;
        this.clock = clock;
        this.executor = executor;
        this.skipped = skipped;
        this.failures = failures;
        this.settle = new SettleMeter(client, paths, history, Scheduler.of(settleThread, failures), System::nanoTime);
    }

    /** Starts leading. Runs on the executor thread. */
    void elected(String electionPath) {
        stop();
        LOG.info("leading application {} (election node {})", config.application(), electionPath);
        this.active = true;
        this.electionPath = electionPath;
        this.watches = client.newWatcherRemoveCuratorFramework();
        this.schedule = new RebalanceSchedule(config.rebalanceQuiet(), config.rebalanceMaxDelay());
        this.starts = new StartSeeding(store, discovery);
        // Read afresh from the rows, like everything else a new leader decides from.
        endedUnits.clear();
        decided = Map.of();
        try {
            for (String path : List.of(paths.workers(), paths.assignments(), paths.leases(), paths.ended())) {
                client.createContainers(path);
            }
            watchChildren(paths.workers());
            watchChildren(paths.ended());
        } catch (Exception e) {
            LOG.warn("could not watch the fleet as leader: {}", e.toString());
        }
        changed();
        long interval = config.discoveryInterval().toMillis();
        // Guarded: a periodic task that throws would never run again.
        discoveryCheck = executor.scheduleWithFixedDelay(failures.guard(this::checkDiscovery), interval, interval,
                TimeUnit.MILLISECONDS);
    }

    /** Stops leading at once. Runs on the executor thread. */
    void deposed() {
        if (active) {
            LOG.info("no longer leading application {}", config.application());
        }
        stop();
    }

    private void stop() {
        active = false;
        if (watches != null) {
            watches.removeWatchers();
            watches = null;
        }
        if (tick != null) {
            tick.cancel(false);
            tick = null;
        }
        if (discoveryCheck != null) {
            discoveryCheck.cancel(false);
            discoveryCheck = null;
        }
    }

    /** The last published assignments, newest last. Thread-safe. */
    List<RebalanceRecord> history() {
        return history.list();
    }

    private void watchChildren(String path) throws Exception {
        CuratorWatcher watcher = event -> post(() -> {
            if (!active || event.getType() == Watcher.Event.EventType.None) {
                return;
            }
            try {
                watchChildren(path);
            } catch (Exception e) {
                LOG.warn("could not watch {} again: {}", path, e.toString());
            }
            changed();
        });
        try {
            watches.getChildren().usingWatcher(watcher).forPath(path);
        } catch (KeeperException.NoNodeException e) {
            // An empty container node is removed by the server after a while; bring it back and watch it.
            client.createContainers(path);
            watches.getChildren().usingWatcher(watcher).forPath(path);
        }
    }

    /**
     * The loads workers published: the current owner's figure for each unit, or, for a unit that
     * moved and whose new owner has not reported it yet, the previous owner's.
     */
    private Map<UnitId, Double> readLoads(Map<UnitId, WorkerId> owners) throws Exception {
        Map<UnitId, Double> loads = new HashMap<>();
        for (WorkerId worker : workersUnder(paths.loads(), "its loads count as unknown")) {
            try {
                Map<UnitId, UnitLoad> published = ZkJson.loads(client.getData().forPath(paths.loads(worker)));
                skipped.fine(paths.loads(worker));
                published.forEach((unit, load) -> {
                    if (worker.equals(owners.get(unit))) {
                        loads.put(unit, load.load());
                    } else {
                        loads.putIfAbsent(unit, load.load());
                    }
                });
            } catch (KeeperException.NoNodeException e) {
                // The worker is gone; its units count as unknown.
                skipped.fine(paths.loads(worker));
            } catch (KeeperException e) {
                skipNodeOrRethrow(paths.loads(worker), "cannot be read", e, "its units' loads count as unknown");
            } catch (IllegalArgumentException e) {
                skipped.skipped(paths.loads(worker), e.getMessage(), "its units' loads count as unknown");
            }
        }
        return loads;
    }

    /**
     * Whether a live session holds the worker's registration. Workers register with an ephemeral
     * node; a persistent one (an operator's create, a restored backup) has no process behind it,
     * and units given to it would never be read: it is skipped and counted.
     */
    private boolean isLive(WorkerId worker) throws Exception {
        String path = paths.worker(worker);
        Stat stat = client.checkExists().forPath(path);
        if (stat == null) {
            skipped.fine(path);
            return false; // Gone meanwhile: its departure is the next change.
        }
        if (stat.getEphemeralOwner() == 0) {
            skipped.skipped(path, "a persistent node, held by no session", "it is no live worker and gets no units");
            return false;
        }
        return true;
    }

    /**
     * The capacity the worker published, if its registration can be read. A worker whose
     * registration cannot be read is still a live worker (its ephemeral node exists): it counts
     * with capacity 1.
     */
    private java.util.Optional<Integer> capacityOf(WorkerId worker) throws Exception {
        String path = paths.worker(worker);
        try {
            int capacity = ZkJson.worker(worker.value(), client.getData().forPath(path)).info().capacity();
            skipped.fine(path);
            return java.util.Optional.of(capacity);
        } catch (KeeperException.NoNodeException e) {
            skipped.fine(path);
            // Gone meanwhile: its departure is the next change.
            return java.util.Optional.empty();
        } catch (KeeperException e) {
            skipNodeOrRethrow(path, "cannot be read", e, "the worker counts with capacity 1");
            return java.util.Optional.empty();
        } catch (IllegalArgumentException e) {
            skipped.skipped(path, e.getMessage(), "the worker counts with capacity 1");
            return java.util.Optional.empty();
        }
    }

    /**
     * The children of {@code path} named after workers. Any other name is skipped (with a WARN and
     * a count), so that one bad node never stops the rebalance of the rest.
     */
    private List<WorkerId> workersUnder(String path, String consequence) throws Exception {
        List<WorkerId> workers = new ArrayList<>();
        for (String child : children(path)) {
            try {
                workers.add(ZkPaths.workerOf(child));
            } catch (IllegalArgumentException e) {
                skipped.skipped(path + "/" + child, e.getMessage(), consequence);
            }
        }
        return workers;
    }

    /** The names under {@code ended/} that are unit ids; any other is skipped and left in place. */
    private List<String> endedReports() throws Exception {
        List<String> names = new ArrayList<>();
        for (String child : children(paths.ended())) {
            try {
                ZkPaths.unitOf(child);
                names.add(child);
            } catch (IllegalArgumentException e) {
                skipped.skipped(paths.ended() + "/" + child, e.getMessage(), "it is left in place and ends no unit");
            }
        }
        return names;
    }

    /**
     * The children of a container node, which the server deletes while it is empty; missing means
     * none. A bad node under it that is no longer listed is gone, and counts again should it come
     * back: most are never read fine, a bad name or a persistent {@code workers/} node.
     */
    private List<String> children(String path) throws Exception {
        List<String> children;
        try {
            children = client.getChildren().forPath(path);
        } catch (KeeperException.NoNodeException e) {
            children = List.of();
        }
        skipped.listed(path, children);
        return children;
    }

    /** Runs {@code task} on the loop thread; after shutdown, events that still arrive are dropped. */
    private void post(Runnable task) {
        try {
            executor.execute(failures.guard(task));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Shut down.
        }
    }

    /**
     * The parents of current units that are not known to have ended but whose rows say they did.
     * The lineage comes from the rows, not only from {@code ended/}: a report that was never
     * written (its owner lost ZooKeeper just then) must not hold the children back.
     */
    private Set<UnitId> parentsEndedInTheStore(Map<UnitId, UnitSpec> units) {
        Set<UnitId> found = new HashSet<>();
        for (UnitSpec spec : units.values()) {
            for (UnitId parent : spec.parents()) {
                if (units.containsKey(parent) && !endedUnits.contains(parent) && !found.contains(parent)
                        && endedInTheStore(parent)) {
                    found.add(parent);
                }
            }
        }
        return found;
    }

    /**
     * The units of these {@code ended/} reports whose rows say they ended. A report is only a
     * prompt to look: anyone can write one (a stray report for a live Kafka partition would stop
     * it for as long as this leader lives), so the row decides. A report the row does not confirm
     * is skipped and counted, and deleted like the others; should the row say ENDED later, the
     * discovery check finds it there.
     */
    private Set<UnitId> confirmedEnded(List<String> reports) {
        Set<UnitId> confirmed = new HashSet<>();
        for (String name : reports) {
            UnitId unit = ZkPaths.unitOf(name);
            if (endedUnits.contains(unit) || endedInTheStore(unit)) {
                confirmed.add(unit);
            } else {
                skipped.skipped(paths.ended() + "/" + name, "the checkpoint row of " + unit + " does not say ENDED",
                        "it ends no unit");
            }
        }
        return confirmed;
    }

    /** Whether the unit's row says it ended; a row that cannot be read says no, and is reported, never thrown. */
    private boolean endedInTheStore(UnitId unit) {
        try {
            return store.read(unit).map(c -> c.isEnded()).orElse(false);
        } catch (RuntimeException e) {
            LOG.warn("could not read the checkpoint row of {} to see whether it ended; its children wait: {}", unit,
                    e.toString());
            return false;
        }
    }

    /**
     * Every discovery interval: a rebalance when units appeared or went, a parent's row says it
     * ended, or workers published other loads.
     */
    private void checkDiscovery() {
        if (!active) {
            return;
        }
        try {
            Map<UnitId, UnitSpec> now = new HashMap<>();
            discovery.discover().forEach(spec -> now.put(spec.id(), spec));
            if (!now.keySet().equals(discovered)) {
                changed();
                return;
            }
            Assignments assignments = readAssignments();
            if (!assignments.unreadable().isEmpty()) {
                // Their workers ignore them and keep their units; a rebalance writes readable ones over them.
                changed();
                return;
            }
            Set<WorkerId> different = differentFromDecided(assignments);
            if (!different.isEmpty()) {
                LOG.info("the assignments of {} are not what this leader published: rebalancing", different);
                changed();
                return;
            }
            Map<UnitId, WorkerId> owners = new HashMap<>();
            assignments.readable().forEach((worker, node) -> node.units().forEach(unit -> owners.put(unit, worker)));
            if (!readLoads(owners).equals(decidedLoads)) {
                changed();
                return;
            }
            Set<UnitId> parentsEnded = parentsEndedInTheStore(now);
            if (!parentsEnded.isEmpty()) {
                LOG.info("the rows of {} say they ended, though no report of it came: rebalancing", parentsEnded);
                changed();
            }
        } catch (Exception e) {
            LOG.warn("looking for new units and changed loads failed: {}", e.toString());
        }
    }

    /**
     * The workers whose readable assignment node names other units than this leader last decided
     * for them, and those it decided units for whose node is gone (a tool's delete, or a deposed
     * leader's late delete of a departed worker's node): such a worker reads "no units" and
     * releases its own. A node that cannot be read is left to the callers.
     */
    private Set<WorkerId> differentFromDecided(Assignments assignments) {
        Set<WorkerId> different = new TreeSet<>();
        decided.forEach((worker, units) -> {
            ZkJson.AssignmentNode node = assignments.readable().get(worker);
            if (node != null ? !node.units().equals(units) : !assignments.hasNode(worker) && !units.isEmpty()) {
                different.add(worker);
            }
        });
        return different;
    }

    private void changed() {
        schedule.changed(clock.instant());
        scheduleTick();
    }

    private void scheduleTick() {
        if (tick != null) {
            tick.cancel(false);
        }
        schedule.dueAt().ifPresent(due -> {
            long delay = Math.max(0, Duration.between(clock.instant(), due).toMillis());
            tick = executor.schedule(failures.guard(this::onTick), delay, TimeUnit.MILLISECONDS);
        });
    }

    private void onTick() {
        if (!active) {
            return;
        }
        Instant now = clock.instant();
        if (!schedule.isDue(now)) {
            scheduleTick();
            return;
        }
        schedule.started();
        try {
            rebalance(now);
        } catch (KeeperException.NoNodeException | KeeperException.BadVersionException e) {
            LOG.warn("assignment not published (deposed, or raced another leader?): {}", e.getMessage());
            retryLater();
        } catch (Exception e) {
            LOG.warn("rebalance failed, retrying in {} ms: {}", RETRY_AFTER_FAILURE.toMillis(), e.toString());
            retryLater();
        }
    }

    private void retryLater() {
        if (active) {
            schedule.changed(clock.instant().plus(RETRY_AFTER_FAILURE));
            scheduleTick();
        }
    }

    private void rebalance(Instant started) throws Exception {
        long startNanos = System.nanoTime();
        SortedSet<WorkerId> workers = new TreeSet<>();
        Map<WorkerId, Integer> capacities = new HashMap<>();
        for (WorkerId worker : workersUnder(paths.workers(), "it is not a worker of this fleet and gets no units")) {
            if (isLive(worker)) {
                workers.add(worker);
                capacityOf(worker).ifPresent(capacity -> capacities.put(worker, capacity));
            }
        }
        Map<UnitId, UnitSpec> units = new HashMap<>();
        for (UnitSpec spec : discovery.discover()) {
            units.put(spec.id(), spec);
        }
        discovered = Set.copyOf(units.keySet());

        Assignments assignments = readAssignments();
        workers.removeAll(assignments.forbidden());
        capacities.keySet().removeAll(assignments.forbidden());
        Map<WorkerId, ZkJson.AssignmentNode> current = assignments.readable();
        Map<UnitId, WorkerId> owners = new HashMap<>();
        current.forEach((worker, node) -> node.units().forEach(unit -> owners.put(unit, worker)));
        // A unit seen for the first time is seeded where it starts before anyone may claim it.
        Set<UnitId> held = starts.settle(units, owners.keySet());

        List<String> endedEvents = endedReports();
        Set<UnitId> endedNow = confirmedEnded(endedEvents);
        endedUnits.addAll(endedNow);
        endedUnits.addAll(parentsEndedInTheStore(units));
        Set<UnitId> ended = new HashSet<>(endedUnits);
        ended.retainAll(units.keySet());

        Instant now = clock.instant();
        Map<UnitId, Double> published = readLoads(owners);
        decidedLoads = published;
        lastKnownLoads.putAll(published);
        lastKnownLoads.keySet().retainAll(units.keySet());
        Assignment next = strategy.assign(new ClusterView(workers, units, owners, ended, capacities,
                config.balancing().loadsWith(lastKnownLoads), movedAt, now)).without(held);

        Map<WorkerId, SortedSet<UnitId>> changed = new HashMap<>();
        for (WorkerId worker : workers) {
            ZkJson.AssignmentNode node = current.get(worker);
            SortedSet<UnitId> mine = next.unitsOf(worker);
            if (node == null || !node.units().equals(mine)) {
                changed.put(worker, mine);
            }
        }
        List<WorkerId> departed = assignments.workers().stream().filter(w -> !workers.contains(w)).toList();
        Map<WorkerId, SortedSet<UnitId>> decision = new HashMap<>();
        workers.forEach(worker -> decision.put(worker, next.unitsOf(worker)));
        if (!changed.isEmpty()) {
            SortedSet<WorkerId> joined = new TreeSet<>(workers);
            joined.removeAll(assignments.workers());
            int newUnits = (int) next.owners().keySet().stream().filter(unit -> !owners.containsKey(unit)).count();
            String reason = dev.streamfleet.coordinator.RebalanceReason.describe(joined, new TreeSet<>(departed), endedNow,
                    newUnits, next.loadMoves());
            publish(next, owners, assignments, changed, started, startNanos, reason);
        }
        decided = decision;
        for (WorkerId worker : departed) {
            deleteAssignmentOf(worker);
        }
        for (String name : endedEvents) {
            deleteEndedReport(name);
        }
        if (!held.isEmpty()) {
            retryLater();
        }
    }

    /**
     * Deletes a departed worker's assignment node, on its own and never inside a publish: a node
     * that cannot be deleted (a tool's ACL) must not fail every publish after it. Whatever a tool
     * put under it goes with it; a node that still cannot be deleted is skipped and counted.
     */
    private void deleteAssignmentOf(WorkerId worker) throws Exception {
        String path = paths.assignment(worker);
        try {
            client.delete().deletingChildrenIfNeeded().forPath(path);
            skipped.fine(path);
        } catch (KeeperException.NoNodeException e) {
            skipped.fine(path);
        } catch (KeeperException e) {
            skipNodeOrRethrow(path, "cannot be deleted", e, "the departed worker's assignment is left in place");
        }
    }

    /**
     * Deletes a report under {@code ended/} once taken in, each on its own: one that cannot be
     * deleted (a child of its own, a tool's ACL) is skipped and counted, and must not fail the
     * rebalance that already published, which would otherwise be retried every second.
     */
    private void deleteEndedReport(String name) throws Exception {
        String path = paths.ended() + "/" + name;
        try {
            client.delete().forPath(path);
            skipped.fine(path);
        } catch (KeeperException.NoNodeException e) {
            // Another leader already handled it.
            skipped.fine(path);
        } catch (KeeperException e) {
            skipNodeOrRethrow(path, "cannot be deleted", e, "it is left in place");
        }
    }

    /**
     * A failure that concerns the one node (no access, not empty, …) is skipped with a WARN and a
     * count; one that concerns the connection is thrown, so the rebalance is tried again.
     */
    private void skipNodeOrRethrow(String path, String what, KeeperException e, String consequence) throws KeeperException {
        switch (e.code()) {
            case CONNECTIONLOSS, SESSIONEXPIRED, OPERATIONTIMEOUT, SESSIONMOVED -> throw e;
            default -> skipped.skipped(path, what + " (" + e.code() + ")", consequence);
        }
    }

    private void publish(Assignment next, Map<UnitId, WorkerId> owners, Assignments current,
                         Map<WorkerId, SortedSet<UnitId>> changed, Instant started,
                         long startNanos, String reason) throws Exception {
        Stat generationStat = new Stat();
        // At most MAX_GENERATION, which every worker accepts: readGeneration returns at most MAX_GENERATION_NODE.
        long generation = readGeneration(generationStat, current.readable()) + 1;
        List<CuratorOp> ops = new ArrayList<>();
        client.createContainers(paths.assignments());
        ops.add(client.transactionOp().check().forPath(electionPath));
        ops.add(client.transactionOp().setData().withVersion(generationStat.getVersion())
                .forPath(paths.generation(), Long.toString(generation).getBytes(StandardCharsets.UTF_8)));
        for (Map.Entry<WorkerId, SortedSet<UnitId>> entry : new java.util.TreeMap<>(changed).entrySet()) {
            byte[] body = ZkJson.assignment(generation, entry.getValue());
            String path = paths.assignment(entry.getKey());
            // An unreadable node is written over: the leader alone writes assignments.
            ops.add(current.workers().contains(entry.getKey())
                    ? client.transactionOp().setData().forPath(path, body)
                    : client.transactionOp().create().forPath(path, body));
        }
        client.transaction().forOperations(ops);
        SortedSet<UnitId> movedUnits = next.movedFrom(owners);
        int moved = movedUnits.size();
        RebalanceRecord record = new RebalanceRecord(generation, clock.instant(), next.units().size(), next.unitCount(),
                moved, movedUnits.stream().limit(20).toList(), ops.size() - 1,
                Duration.ofNanos(System.nanoTime() - startNanos), java.util.Optional.empty(), reason);
        history.add(record);
        movedUnits.forEach(unit -> movedAt.put(unit, record.at()));
        movedAt.keySet().retainAll(next.owners().keySet());
        Map<UnitId, WorkerId> movedTo = new HashMap<>();
        next.owners().forEach((unit, worker) -> {
            WorkerId previous = owners.get(unit);
            if (previous == null || !previous.equals(worker)) {
                movedTo.put(unit, worker);
            }
        });
        settle.measure(generation, movedTo, System.nanoTime());
        LOG.info("published generation {}: {} units over {} workers, {} moved, {} znode writes, {} ms after the change ({})",
                generation, record.units(), record.workers(), moved, record.writes(),
                Duration.between(started, record.at()).toMillis(), reason);
    }

    /**
     * The assignment nodes as read: those that parse, and the workers whose node does not. Their
     * workers ignore such a node and keep their units; the next rebalance writes a readable one
     * over it. A node not named after a worker is skipped and left alone. A node the leader may
     * not read ({@code forbidden}: a tool's ACL) it may not write either, nor may its worker read
     * it: that worker gets no units while it stays so.
     */
    private record Assignments(Map<WorkerId, ZkJson.AssignmentNode> readable, Set<WorkerId> unreadable,
                               Set<WorkerId> forbidden) {

        /** Whether the worker has an assignment node, whether the leader may read it or not. */
        boolean hasNode(WorkerId worker) {
            return readable.containsKey(worker) || unreadable.contains(worker) || forbidden.contains(worker);
        }

        /** Every worker that has an assignment node, readable or not. */
        Set<WorkerId> workers() {
            Set<WorkerId> all = new HashSet<>(readable.keySet());
            all.addAll(unreadable);
            return all;
        }
    }

    private Assignments readAssignments() throws Exception {
        Map<WorkerId, ZkJson.AssignmentNode> readable = new HashMap<>();
        Set<WorkerId> unreadable = new HashSet<>();
        Set<WorkerId> forbidden = new HashSet<>();
        for (WorkerId worker : workersUnder(paths.assignments(), "it is nobody's assignment and is left alone")) {
            try {
                readable.put(worker, ZkJson.assignment(client.getData().forPath(paths.assignment(worker))));
                skipped.fine(paths.assignment(worker));
            } catch (KeeperException.NoNodeException e) {
                // Deleted between listing and reading.
                skipped.fine(paths.assignment(worker));
            } catch (KeeperException e) {
                skipNodeOrRethrow(paths.assignment(worker), "cannot be read", e,
                        "it is left alone, and its worker gets no units while it cannot be read");
                forbidden.add(worker);
            } catch (IllegalArgumentException e) {
                skipped.skipped(paths.assignment(worker), e.getMessage(), "the next rebalance writes a readable one over it");
                unreadable.add(worker);
            }
        }
        return new Assignments(readable, unreadable, forbidden);
    }

    /**
     * The last published generation, at most {@link ZkJson#MAX_GENERATION_NODE}. A node that does
     * not hold one is recovered from, not stopped at: the largest generation of the readable
     * assignments stands in, and the write of the next generation (conditional on the node's
     * version, as always) replaces it. An assignment at {@link ZkJson#MAX_GENERATION} (written by
     * hand, or published just before the node went bad) leaves no room for a larger one: the
     * leader publishes that generation again rather than one its workers refuse.
     */
    private long readGeneration(Stat stat, Map<WorkerId, ZkJson.AssignmentNode> current) throws Exception {
        try {
            client.create().creatingParentContainersIfNeeded().forPath(paths.generation(), "0".getBytes(StandardCharsets.UTF_8));
        } catch (KeeperException.NodeExistsException e) {
            // The usual case.
        }
        byte[] data = client.getData().storingStatIn(stat).forPath(paths.generation());
        try {
            long generation = ZkJson.generation(data);
            skipped.fine(paths.generation());
            return generation;
        } catch (IllegalArgumentException e) {
            long recovered = Math.min(ZkJson.MAX_GENERATION_NODE,
                    current.values().stream().mapToLong(ZkJson.AssignmentNode::generation).max().orElse(0));
            skipped.skipped(paths.generation(), e.getMessage(), "continuing from generation " + recovered
                    + ", the largest of the assignments; the next generation is written over it");
            return recovered;
        }
    }
}
