package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.coordinator.AssignedUnits;
import dev.streamfleet.coordinator.LeaseNodes;
import dev.streamfleet.coordinator.UnreadableAssignmentException;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.UnitId;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.WatcherRemoveCuratorFramework;
import org.apache.curator.framework.api.BackgroundCallback;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.curator.framework.api.CuratorWatcher;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;

/**
 * The lease znodes and the assignment of one worker, through Curator's background calls: each
 * call returns at once, and its stage completes on Curator's event thread. Deletes are
 * conditional on the creation zxid, so a worker never removes a lease it did not create, and
 * survive a disconnection ({@link LeaseDeletes}).
 */
final class CuratorLeaseNodes implements LeaseNodes {

    private final CuratorFramework client;
    private final WatcherRemoveCuratorFramework watches;
    private final ZkPaths paths;
    private final WorkerId me;
    private final SkippedNodes skipped;
    private final Map<Runnable, CuratorWatcher> assignmentWatchers = new ConcurrentHashMap<>();
    private final LeaseDeletes deletes;

    CuratorLeaseNodes(CuratorFramework client, ZkPaths paths, WorkerId me, SkippedNodes skipped) {
        this.client = client;
        this.watches = client.newWatcherRemoveCuratorFramework();
        this.paths = paths;
        this.me = me;
        this.skipped = skipped;
        this.deletes = new LeaseDeletes(client, paths);
    }

    @Override
    public CompletionStage<Optional<AssignedUnits>> readAssignment(Runnable onChange) {
        // One watcher object per callback: ZooKeeper keeps one watch per object and path, so
        // reading again (after a reconnect, a retry) never stacks a second one.
        CuratorWatcher watcher = assignmentWatchers.computeIfAbsent(onChange, run -> event -> {
            if (event.getType() != Watcher.Event.EventType.None) {
                run.run();
            }
        });
        String path = paths.assignment(me);
        CompletableFuture<Optional<AssignedUnits>> result = new CompletableFuture<>();
        call(result, event -> {
            if (code(event) == KeeperException.Code.NONODE) {
                // None yet: watch for it; if it appeared meanwhile, read again.
                call(new CompletableFuture<Void>(), exists -> {
                    if (exists.getStat() != null) {
                        onChange.run();
                    }
                    return null;
                }, (cb) -> watches.checkExists().usingWatcher(watcher).inBackground(cb).forPath(path));
                return Optional.empty();
            }
            byte[] data = ok(event).getData();
            ZkJson.AssignmentNode node;
            try {
                node = ZkJson.assignment(data);
            } catch (IllegalArgumentException e) {
                // Never "no units": the watch this read set brings the next change.
                skipped.skipped(path, e.getMessage(), "this worker keeps the units it holds until a readable assignment");
                throw new UnreadableAssignmentException(path + ": " + e.getMessage());
            }
            skipped.fine(path);
            return Optional.of(new AssignedUnits(node.generation(), node.units()));
        }, cb -> watches.getData().usingWatcher(watcher).inBackground(cb).forPath(path));
        return result;
    }

    @Override
    public CompletionStage<OptionalLong> create(UnitId unit, long generation) {
        CompletableFuture<OptionalLong> result = new CompletableFuture<>();
        call(result, event -> code(event) == KeeperException.Code.NODEEXISTS
                        ? OptionalLong.empty()
                        : OptionalLong.of(ok(event).getStat().getCzxid()),
                cb -> client.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL)
                        .inBackground(cb).forPath(paths.lease(unit), ZkJson.lease(me, generation)));
        return result;
    }

    @Override
    public CompletionStage<Optional<Lease>> watch(UnitId unit, Runnable onDeleted) {
        CuratorWatcher watcher = event -> {
            if (event.getType() == Watcher.Event.EventType.NodeDeleted) {
                onDeleted.run();
            }
        };
        CompletableFuture<Optional<Lease>> result = new CompletableFuture<>();
        call(result, event -> {
            Stat stat = event.getStat();
            if (code(event) == KeeperException.Code.NONODE || stat == null) {
                return Optional.empty();
            }
            ok(event);
            return Optional.of(new Lease(stat.getCzxid(), stat.getEphemeralOwner() == sessionId()));
        }, cb -> watches.checkExists().usingWatcher(watcher).inBackground(cb).forPath(paths.lease(unit)));
        return result;
    }

    @Override
    public CompletionStage<Void> delete(UnitId unit, long czxid) {
        return deletes.delete(unit, czxid);
    }

    @Override
    public CompletionStage<Boolean> stillHeld(UnitId unit, long czxid) {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        call(result, event -> {
            // Only an answer says no: a check the connection cut off fails, and is made again.
            if (code(event) != KeeperException.Code.NONODE) {
                ok(event);
            }
            return event.getStat() != null && event.getStat().getCzxid() == czxid
                    && event.getStat().getEphemeralOwner() == sessionId();
        }, cb -> client.checkExists().inBackground(cb).forPath(paths.lease(unit)));
        return result;
    }

    @Override
    public CompletionStage<Void> reportEnded(UnitId unit) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        call(result, event -> {
            if (code(event) != KeeperException.Code.NODEEXISTS) {
                ok(event);
            }
            return null;
        }, cb -> client.create().creatingParentContainersIfNeeded().inBackground(cb).forPath(paths.ended(unit)));
        return result;
    }

    @Override
    public void removeWatches() {
        watches.removeWatchers();
    }

    /** A background call whose event {@code outcome} turns into the result; any failure fails {@code result}. */
    private static <T> CompletableFuture<T> call(CompletableFuture<T> result, Outcome<T> outcome, Call call) {
        BackgroundCallback callback = (c, event) -> {
            try {
                result.complete(outcome.apply(event));
            } catch (Exception e) {
                result.completeExceptionally(e);
            }
        };
        try {
            call.start(callback);
        } catch (Exception e) {
            result.completeExceptionally(e);
        }
        return result;
    }

    private static KeeperException.Code code(CuratorEvent event) {
        return KeeperException.Code.get(event.getResultCode());
    }

    /** The event, when its call succeeded; otherwise the ZooKeeper error it reports. */
    private static CuratorEvent ok(CuratorEvent event) throws KeeperException {
        KeeperException.Code code = code(event);
        if (code != KeeperException.Code.OK) {
            throw KeeperException.create(code, event.getPath());
        }
        return event;
    }

    private long sessionId() {
        try {
            return client.getZookeeperClient().getZooKeeper().getSessionId();
        } catch (Exception e) {
            return -1;
        }
    }

    @FunctionalInterface
    private interface Outcome<T> {
        T apply(CuratorEvent event) throws Exception;
    }

    @FunctionalInterface
    private interface Call {
        void start(BackgroundCallback callback) throws Exception;
    }
}
