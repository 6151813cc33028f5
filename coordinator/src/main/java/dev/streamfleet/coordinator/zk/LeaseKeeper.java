package dev.streamfleet.coordinator.zk;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointException;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.ForeignFencingDomainException;
import dev.streamfleet.coordinator.CoordinatorConfig;
import dev.streamfleet.coordinator.UnitContext;
import dev.streamfleet.coordinator.UnitEvents;
import dev.streamfleet.coordinator.UnitState;
import dev.streamfleet.coordinator.UnitWork;
import dev.streamfleet.coordinator.UnitWorkFactory;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.WatcherRemoveCuratorFramework;
import org.apache.curator.framework.api.CuratorWatcher;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker side of the protocol: makes the units this worker holds follow its assignment.
 *
 * <p>For a newly assigned unit it waits (a watch, not a poll) until the unit's lease znode is
 * absent, creates it ephemerally, takes its creation zxid as the epoch, claims the checkpoint
 * row with that epoch and only then starts the unit. For a revoked unit it lets the unit drain
 * (final checkpoint) and then deletes the lease, so the next owner starts right after.
 * SUSPENDED pauses every unit; RECONNECTED resumes the units whose lease is still ours; LOST
 * drops every unit without a checkpoint (docs/design.md §1, §3 and §5).
 *
 * <p>Threads: all state belongs to one keeper thread; ZooKeeper watches, connection events
 * and unit callbacks only post to it. Claims and drains, which block on the checkpoint store
 * or the processor, run on a bounded pool and post their outcome back.
 */
final class LeaseKeeper implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);
    private static final Duration RETRY_AFTER_FAILED_CLAIM = Duration.ofSeconds(2);

    private final CuratorFramework client;
    private final ZkPaths paths;
    private final WorkerId me;
    private final String domain;
    private final CheckpointStore store;
    private final UnitWorkFactory factory;
    private final CoordinatorConfig config;
    private final ScheduledExecutorService keeper;
    private final dev.streamfleet.coordinator.LeaseValidity validity;
    private final ExecutorService unitOps;
    private final Map<UnitId, UnitState> published = new ConcurrentHashMap<>();
    private final Map<UnitId, String> failures = new ConcurrentHashMap<>();

    // Owned by the keeper thread.
    private final Map<UnitId, Slot> slots = new HashMap<>();
    private final WatcherRemoveCuratorFramework watches;
    private final LeaseNodes leases;
    private SortedSet<UnitId> desired = new TreeSet<>();
    private long generation;
    private boolean suspended;
    private boolean closing;
    private final CuratorWatcher assignmentWatcher;

    /** One unit on this worker, from the first lease attempt to its terminal state. */
    private final class Slot {
        final UnitId unit;
        UnitState state = UnitState.CLAIMING;
        boolean revoked;
        boolean waitingForLease;
        long czxid;
        Epoch epoch;
        UnitWork work;

        Slot(UnitId unit) {
            this.unit = unit;
            published.put(unit, state);
        }

        void moveTo(UnitState next) {
            state = state.transitionTo(next);
            if (next.isTerminal()) {
                published.remove(unit);
                slots.remove(unit, this);
            } else {
                published.put(unit, next);
            }
        }

        boolean isCurrent() {
            return slots.get(unit) == this && !state.isTerminal();
        }
    }

    LeaseKeeper(CuratorFramework client, ZkPaths paths, WorkerId me, String domain, CheckpointStore store,
                UnitWorkFactory factory, CoordinatorConfig config, ScheduledExecutorService keeper,
                ExecutorService unitOps, dev.streamfleet.coordinator.LeaseValidity validity) {
        this.validity = validity;
        this.client = client;
        this.paths = paths;
        this.me = me;
        this.domain = domain;
        this.store = store;
        this.factory = factory;
        this.config = config;
        this.keeper = keeper;
        this.unitOps = unitOps;
        this.watches = client.newWatcherRemoveCuratorFramework();
        this.leases = new LeaseNodes(client, watches, paths, me);
        this.assignmentWatcher = event -> post(() -> {
            if (!closing && event.getType() != Watcher.Event.EventType.None) {
                readAssignment();
            }
        });
    }

    void start() {
        post(this::readAssignment);
    }

    /** Runs {@code task} on the keeper thread; after close, events that still arrive are dropped. */
    private void post(Runnable task) {
        try {
            keeper.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Shut down: nothing to keep any more.
        }
    }

    /** The state of every unit this worker is handling now. Thread-safe. */
    Map<UnitId, UnitState> states() {
        return Map.copyOf(published);
    }

    /** Why each FAILED unit stopped. Thread-safe. */
    Map<UnitId, String> failures() {
        return Map.copyOf(failures);
    }

    /** Reacts to the connection; called by Curator, handled on the keeper thread. */
    void connectionChanged(ConnectionState state) {
        post(() -> {
            switch (state) {
                case SUSPENDED -> pauseAll();
                case RECONNECTED -> resumeConfirmed();
                case LOST -> dropAll();
                default -> {
                    // CONNECTED and READ_ONLY need nothing: CONNECTED comes once, before start.
                }
            }
        });
    }

    private void readAssignment() {
        if (closing) {
            return;
        }
        try {
            byte[] data = watches.getData().usingWatcher(assignmentWatcher).forPath(paths.assignment(me));
            ZkJson.AssignmentNode node = ZkJson.assignment(data);
            reconcile(node.generation(), node.units());
        } catch (KeeperException.NoNodeException e) {
            try {
                if (watches.checkExists().usingWatcher(assignmentWatcher).forPath(paths.assignment(me)) != null) {
                    post(this::readAssignment);
                    return;
                }
            } catch (Exception inner) {
                LOG.warn("could not watch this worker's assignment: {}", inner.toString());
            }
            reconcile(generation, new TreeSet<>());
        } catch (Exception e) {
            LOG.warn("could not read this worker's assignment: {}", e.toString());
        }
    }

    private void reconcile(long newGeneration, SortedSet<UnitId> units) {
        generation = newGeneration;
        desired = units;
        for (UnitId unit : units) {
            if (!slots.containsKey(unit)) {
                Slot slot = new Slot(unit);
                slots.put(unit, slot);
                acquire(slot);
            }
        }
        for (Slot slot : new ArrayList<>(slots.values())) {
            if (!units.contains(slot.unit)) {
                revoke(slot);
            }
        }
    }

    private void acquire(Slot slot) {
        if (!slot.isCurrent() || slot.state != UnitState.CLAIMING) {
            return;
        }
        if (slot.revoked || closing) {
            slot.moveTo(UnitState.RELEASED);
            return;
        }
        Optional<Stat> created;
        try {
            created = leases.create(slot.unit, generation);
        } catch (Exception e) {
            LOG.warn("could not create the lease of {}: {}", slot.unit, e.toString());
            retry(slot);
            return;
        }
        if (created.isEmpty()) {
            waitForLease(slot);
            return;
        }
        slot.waitingForLease = false;
        slot.czxid = created.get().getCzxid();
        slot.epoch = new Epoch(domain, slot.czxid);
        watchOwnLease(slot);
        Epoch epoch = slot.epoch;
        unitOps.execute(() -> {
            try {
                Checkpoint claimed = store.claim(slot.unit, epoch, me.value());
                post(() -> claimed(slot, claimed));
            } catch (CheckpointException e) {
                post(() -> claimFailed(slot, e));
            } catch (RuntimeException e) {
                post(() -> claimFailed(slot, new CheckpointException(e.toString(), e)));
            }
        });
    }

    /**
     * Someone else deleting our lease (an operator's reset does, to restart the unit from its
     * new position) drops the unit at once, without a checkpoint; it is then claimed again.
     * Our own deletions come with the slot already terminal, so they are ignored here.
     */
    private void watchOwnLease(Slot slot) {
        CuratorWatcher watcher = (WatchedEvent event) -> post(() -> {
            if (event.getType() == Watcher.Event.EventType.NodeDeleted && slot.isCurrent()) {
                LOG.warn("the lease of {} was deleted by someone else; dropping the unit to claim it again", slot.unit);
                if (slot.work != null) {
                    slot.work.abandon();
                }
                failures.remove(slot.unit);
                slot.moveTo(UnitState.LOST);
                retryLater(slot.unit);
            }
        });
        try {
            leases.watch(slot.unit, watcher);
        } catch (Exception e) {
            LOG.warn("could not watch the lease of {}: {}", slot.unit, e.toString());
        }
    }

    private void waitForLease(Slot slot) {
        slot.waitingForLease = true;
        CuratorWatcher watcher = (WatchedEvent event) -> post(() -> {
            if (event.getType() == Watcher.Event.EventType.NodeDeleted && slot.waitingForLease) {
                acquire(slot);
            }
        });
        try {
            Stat holder = leases.watch(slot.unit, watcher);
            if (holder == null) {
                post(() -> acquire(slot));
            } else if (leases.isOurs(holder)) {
                // Our own lease from an earlier round of this session that was not deleted: remove it.
                leases.deleteLeftover(slot.unit, holder);
            }
        } catch (Exception e) {
            LOG.warn("could not watch the lease of {}: {}", slot.unit, e.toString());
            retry(slot);
        }
    }

    private void claimed(Slot slot, Checkpoint row) {
        if (!slot.isCurrent()) {
            return;
        }
        if (row.isEnded()) {
            LOG.info("{} is already ENDED; nothing to read", slot.unit);
            deleteLease(slot);
            reportEnded(slot.unit);
            slot.moveTo(UnitState.RELEASED);
            return;
        }
        try {
            slot.work = factory.start(new UnitContext(slot.unit, slot.epoch, me, row, store, events(slot), validity));
        } catch (RuntimeException e) {
            LOG.error("could not start {}: {}", slot.unit, e.toString());
            deleteLease(slot);
            slot.moveTo(UnitState.LOST);
            retryLater(slot.unit);
            return;
        }
        slot.moveTo(UnitState.READING);
        if (slot.revoked || closing) {
            revoke(slot);
        } else if (suspended) {
            slot.work.pause();
            slot.moveTo(UnitState.PAUSED);
        }
    }

    private void claimFailed(Slot slot, CheckpointException e) {
        if (e instanceof ForeignFencingDomainException) {
            LOG.error("cannot claim {}: {}", slot.unit, e.getMessage());
        } else {
            LOG.warn("could not claim {}: {}", slot.unit, e.getMessage());
        }
        if (!slot.isCurrent()) {
            return;
        }
        deleteLease(slot);
        slot.moveTo(UnitState.LOST);
        retryLater(slot.unit);
    }

    private void retry(Slot slot) {
        keeper.schedule(() -> acquire(slot), RETRY_AFTER_FAILED_CLAIM.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Tries a unit again later if it is still ours to take. */
    private void retryLater(UnitId unit) {
        keeper.schedule(() -> {
            if (!closing && desired.contains(unit) && !slots.containsKey(unit)) {
                Slot slot = new Slot(unit);
                slots.put(unit, slot);
                acquire(slot);
            }
        }, RETRY_AFTER_FAILED_CLAIM.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void revoke(Slot slot) {
        slot.revoked = true;
        switch (slot.state) {
            case CLAIMING -> {
                if (slot.waitingForLease) {
                    slot.waitingForLease = false;
                    slot.moveTo(UnitState.RELEASED);
                }
                // Otherwise a claim is in flight; claimed() sees the flag.
            }
            case READING, PAUSED -> {
                slot.moveTo(UnitState.DRAINING);
                UnitWork work = slot.work;
                unitOps.execute(() -> {
                    boolean clean;
                    try {
                        clean = work.drain(config.drainTimeout());
                    } catch (RuntimeException e) {
                        LOG.warn("draining {} failed: {}", slot.unit, e.toString());
                        clean = false;
                    }
                    boolean released = clean;
                    post(() -> drained(slot, released));
                });
            }
            case FAILED -> {
                deleteLease(slot);
                failures.remove(slot.unit);
                slot.moveTo(UnitState.RELEASED);
                // The stopped unit's processor still hears 'lost' (it must not checkpoint), and its metrics go.
                UnitWork work = slot.work;
                unitOps.execute(work::abandon);
            }
            default -> {
                // DRAINING already, or terminal.
            }
        }
    }

    private void drained(Slot slot, boolean clean) {
        if (!slot.isCurrent()) {
            return;
        }
        deleteLease(slot);
        slot.moveTo(clean ? UnitState.RELEASED : UnitState.LOST);
        if (!closing && desired.contains(slot.unit) && !slots.containsKey(slot.unit)) {
            Slot again = new Slot(slot.unit);
            slots.put(slot.unit, again);
            acquire(again);
        }
    }

    private UnitEvents events(Slot slot) {
        return new UnitEvents() {
            @Override
            public void ended() {
                post(() -> {
                    // PAUSED too: the shard end was marked in the store under the unit's epoch, so it stands
                    // even if the connection to ZooKeeper was suspended meanwhile.
                    if (slot.isCurrent() && (slot.state == UnitState.READING || slot.state == UnitState.PAUSED)) {
                        deleteLease(slot);
                        reportEnded(slot.unit);
                        slot.moveTo(UnitState.ENDED);
                    }
                });
            }

            @Override
            public void failed(String reason) {
                post(() -> {
                    if (slot.isCurrent() && (slot.state == UnitState.READING || slot.state == UnitState.PAUSED)) {
                        LOG.error("{} stopped: {}; it keeps its lease and stays stopped until it is revoked", slot.unit, reason);
                        slot.moveTo(UnitState.FAILED);
                        failures.put(slot.unit, reason);
                    }
                });
            }

            @Override
            public void lost(String reason) {
                post(() -> {
                    if (slot.isCurrent()) {
                        LOG.warn("lost {}: {}", slot.unit, reason);
                        deleteLease(slot);
                        slot.moveTo(UnitState.LOST);
                        retryLater(slot.unit);
                    }
                });
            }
        };
    }

    private void reportEnded(UnitId unit) {
        try {
            leases.reportEnded(unit);
        } catch (Exception e) {
            LOG.warn("could not tell the leader that {} ended: {}", unit, e.toString());
        }
    }

    /** Deletes the lease only if it is still the one this slot created. */
    private void deleteLease(Slot slot) {
        if (slot.epoch == null) {
            return;
        }
        try {
            leases.deleteIfOurs(slot.unit, slot.czxid);
        } catch (Exception e) {
            LOG.warn("could not delete the lease of {}: {}", slot.unit, e.toString());
        }
    }

    private void pauseAll() {
        suspended = true;
        LOG.warn("connection to ZooKeeper suspended: pausing {} units until it is back or the session is lost", slots.size());
        for (Slot slot : new ArrayList<>(slots.values())) {
            if (slot.state == UnitState.READING) {
                slot.work.pause();
                slot.moveTo(UnitState.PAUSED);
            }
        }
    }

    private void resumeConfirmed() {
        suspended = false;
        LOG.info("connection to ZooKeeper back with the same session: resuming the units whose leases are still held");
        for (Slot slot : new ArrayList<>(slots.values())) {
            if (slot.state != UnitState.PAUSED) {
                continue;
            }
            if (leases.stillHeld(slot.unit, slot.czxid)) {
                slot.work.resume();
                slot.moveTo(UnitState.READING);
            } else {
                LOG.warn("lease of {} did not survive the disconnection; dropping it", slot.unit);
                slot.work.abandon();
                slot.moveTo(UnitState.LOST);
            }
        }
        readAssignment();
    }

    private void dropAll() {
        if (!slots.isEmpty()) {
            LOG.warn("ZooKeeper session lost: dropping {} units without checkpoints", slots.size());
        }
        for (Slot slot : new ArrayList<>(slots.values())) {
            if (slot.work != null) {
                slot.work.abandon();
            }
            failures.remove(slot.unit);
            slot.moveTo(UnitState.LOST);
        }
    }

    /**
     * Hands every unit over: drains each (final checkpoints) and deletes its lease, waiting at
     * most the drain timeout plus a margin.
     */
    @Override
    public void close() {
        post(() -> {
            closing = true;
            for (Slot slot : new ArrayList<>(slots.values())) {
                revoke(slot);
            }
        });
        long deadline = System.nanoTime() + config.drainTimeout().plusSeconds(5).toNanos();
        while (!published.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!published.isEmpty()) {
            LOG.warn("units still not handed over at close: {}", published.keySet());
        }
        watches.removeWatchers();
    }
}
