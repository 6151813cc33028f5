package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.coordinator.AssignmentStrategy;
import dev.streamfleet.coordinator.CoordinatorConfig;
import dev.streamfleet.coordinator.LeaderDecisions;
import dev.streamfleet.coordinator.RebalanceRecord;
import dev.streamfleet.coordinator.RebalanceSchedule;
import dev.streamfleet.coordinator.Scheduler;
import dev.streamfleet.coordinator.StartSeeding;
import dev.streamfleet.coordinator.TaskFailures;
import dev.streamfleet.coordinator.UnitDiscovery;
import dev.streamfleet.coordinator.UnitSpec;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.UnitId;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
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
 * a new leader simply continues (docs/design.md §6). What to publish, and whether the fleet
 * changed, {@link LeaderDecisions} decides, from what {@link LeaderReads} reads; this class
 * watches, publishes, deletes, meters and logs.
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
    private final LeaderDecisions decisions;
    private final LeaderReads reads;

    RebalanceLoop(CuratorFramework client, ZkPaths paths, CoordinatorConfig config, UnitDiscovery discovery,
                  CheckpointStore store, AssignmentStrategy strategy, Clock clock, ScheduledExecutorService executor,
                  ScheduledExecutorService settleThread, SkippedNodes skipped, TaskFailures failures) {
        this.client = client;
        this.paths = paths;
        this.config = config;
        this.discovery = discovery;
        this.store = store;
        this.decisions = new LeaderDecisions(strategy, config.balancing());
        this.reads = new LeaderReads(new CuratorLeaderZnodes(client), paths, discovery, store, skipped);
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
        decisions.leadershipStarted();
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

    /** Runs {@code task} on the loop thread; after shutdown, events that still arrive are dropped. */
    private void post(Runnable task) {
        try {
            executor.execute(failures.guard(task));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Shut down.
        }
    }

    /**
     * Every discovery interval: a rebalance when units appeared or went, an assignment node is
     * unreadable or not what this leader published, a parent's row says it ended, or workers
     * published other loads.
     */
    private void checkDiscovery() {
        if (!active) {
            return;
        }
        try {
            decisions.check(reads).ifPresent(change -> {
                switch (change.cause()) {
                    case ASSIGNMENT_NOT_AS_DECIDED -> LOG.info(
                            "the assignments of {} are not what this leader published: rebalancing", change.workers());
                    case PARENTS_ENDED -> LOG.info(
                            "the rows of {} say they ended, though no report of it came: rebalancing", change.units());
                    default -> LOG.debug("rebalancing: {}", change);
                }
                changed();
            });
        } catch (Exception e) {
            LOG.warn("looking for new units and changed loads failed: {}", e.toString());
        }
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
        LeaderReads.Live live = reads.live();
        Map<UnitId, UnitSpec> units = reads.units();
        LeaderReads.Assignments assignments = reads.assignmentsAndGenerations();
        Map<UnitId, WorkerId> owners = assignments.nodes().owners();
        // A unit seen for the first time is seeded where it starts before anyone may claim it.
        Set<UnitId> held = starts.settle(units, owners.keySet());
        List<String> endedEvents = reads.endedReports();
        Map<UnitId, Double> loads = reads.loads(owners);

        LeaderDecisions.Decision decision = decisions.decide(new LeaderDecisions.Facts(live.workers(),
                live.capacities(), units, assignments.nodes(), endedEvents.stream().map(ZkPaths::unitOf).toList(),
                held, loads), reads, clock.instant());
        for (String name : endedEvents) {
            if (decision.unconfirmed().contains(ZkPaths.unitOf(name))) {
                skipped.skipped(paths.ended() + "/" + name, "the checkpoint row of " + ZkPaths.unitOf(name)
                        + " does not say ENDED", "it ends no unit");
            }
        }
        if (!decision.writes().isEmpty()) {
            publish(decision, assignments, started, startNanos);
        } else {
            decisions.published(decision, clock.instant());
        }
        for (WorkerId worker : decision.departed()) {
            deleteAssignmentOf(worker);
        }
        for (String name : endedEvents) {
            deleteEndedReport(name);
        }
        if (decision.retryLater()) {
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
            reads.skipNodeOrRethrow(path, "cannot be deleted", e, "the departed worker's assignment is left in place");
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
            reads.skipNodeOrRethrow(path, "cannot be deleted", e, "it is left in place");
        }
    }

    private void publish(LeaderDecisions.Decision decision, LeaderReads.Assignments current, Instant started,
                         long startNanos) throws Exception {
        Stat generationStat = new Stat();
        // At most MAX_GENERATION, which every worker accepts: readGeneration returns at most MAX_GENERATION_NODE.
        long generation = readGeneration(generationStat, current.generations()) + 1;
        List<CuratorOp> ops = new ArrayList<>();
        client.createContainers(paths.assignments());
        ops.add(client.transactionOp().check().forPath(electionPath));
        ops.add(client.transactionOp().setData().withVersion(generationStat.getVersion())
                .forPath(paths.generation(), Long.toString(generation).getBytes(StandardCharsets.UTF_8)));
        for (Map.Entry<WorkerId, SortedSet<UnitId>> entry : decision.writes().entrySet()) {
            byte[] body = ZkJson.assignment(generation, entry.getValue());
            String path = paths.assignment(entry.getKey());
            // An unreadable node is written over: the leader alone writes assignments.
            ops.add(current.nodes().workers().contains(entry.getKey())
                    ? client.transactionOp().setData().forPath(path, body)
                    : client.transactionOp().create().forPath(path, body));
        }
        client.transaction().forOperations(ops);
        SortedSet<UnitId> movedUnits = decision.moved();
        int moved = movedUnits.size();
        String reason = decision.reason();
        RebalanceRecord record = new RebalanceRecord(generation, clock.instant(), decision.assignment().units().size(),
                decision.assignment().unitCount(), moved, movedUnits.stream().limit(20).toList(), ops.size() - 1,
                Duration.ofNanos(System.nanoTime() - startNanos), java.util.Optional.empty(), reason);
        history.add(record);
        decisions.published(decision, record.at());
        settle.measure(generation, decision.movedTo(), System.nanoTime());
        LOG.info("published generation {}: {} units over {} workers, {} moved, {} znode writes, {} ms after the change ({})",
                generation, record.units(), record.workers(), moved, record.writes(),
                Duration.between(started, record.at()).toMillis(), reason);
    }

    /**
     * The last published generation, at most {@link ZkJson#MAX_GENERATION_NODE}. A node that does
     * not hold one is recovered from, not stopped at: the largest generation of the readable
     * assignments stands in, and the write of the next generation (conditional on the node's
     * version, as always) replaces it. An assignment at {@link ZkJson#MAX_GENERATION} (written by
     * hand, or published just before the node went bad) leaves no room for a larger one: the
     * leader publishes that generation again rather than one its workers refuse.
     */
    private long readGeneration(Stat stat, java.util.Collection<Long> generations) throws Exception {
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
                    generations.stream().mapToLong(Long::longValue).max().orElse(0));
            skipped.skipped(paths.generation(), e.getMessage(), "continuing from generation " + recovered
                    + ", the largest of the assignments; the next generation is written over it");
            return recovered;
        }
    }
}
