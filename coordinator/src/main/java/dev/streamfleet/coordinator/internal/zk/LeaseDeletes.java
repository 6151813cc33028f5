package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.core.UnitId;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deletes of this worker's lease znodes, owed until they are done. A delete asked for while
 * the connection is down, or cut off by it, is tried again when the connection is back with the
 * same session; otherwise an ephemeral lease would outlive its release and the next owner would
 * wait on it until this worker's session ended. It completes when the lease is gone, is no longer
 * the one created at the given zxid, or went with its session.
 *
 * <p>A node's version is no guard against a node created again at the same path: every new lease
 * starts at version 0, so a delete by version made from an old read removes the next owner's
 * lease. Hence:
 * <ul>
 *   <li>one attempt per owed delete at a time: a second ask, or a reconnect, while one is in flight
 *       waits for its outcome;</li>
 *   <li>each attempt is {@code sync}, read, then delete by version, with ZooKeeper's own calls,
 *       which are never repeated: Curator's retry of a delete whose answer the connection lost
 *       would repeat it by path and version, after our node may have gone and the next owner's
 *       come. After such a loss the next attempt's {@code sync} makes its read see every change
 *       committed before, our own lost delete included, so it finds our node gone and stops;</li>
 *   <li>a request of the old connection that reaches the leader after the session moved to
 *       another server is refused by ZooKeeper (SESSIONMOVED), so it cannot land late.</li>
 * </ul>
 * Curator's guaranteed delete is not used for the same reason: it retries by path alone.
 *
 * <p>Thread-safe: calls come from the keeper, outcomes on ZooKeeper's event thread, connection
 * states on Curator's listener thread; the owed deletes are a concurrent map, and each one's
 * attempt in flight a flag that only one caller can set.
 */
final class LeaseDeletes {

    private static final Logger LOG = LoggerFactory.getLogger(LeaseDeletes.class);

    /** A lease to delete, by its unit and the zxid that created it. */
    private record Owed(UnitId unit, long czxid) {
    }

    /** An owed delete: the session it was asked in, its outcome, and whether an attempt is in flight. */
    private record Pending(long session, CompletableFuture<Void> done, AtomicBoolean inFlight) {
    }

    private final CuratorFramework client;
    private final ZkPaths paths;
    private final Map<Owed, Pending> owed = new ConcurrentHashMap<>();

    LeaseDeletes(CuratorFramework client, ZkPaths paths) {
        this.client = client;
        this.paths = paths;
        client.getConnectionStateListenable().addListener((c, state) -> connectionChanged(state));
    }

    /** Deletes the unit's lease if it is still the one created at {@code czxid}; see the class comment. */
    CompletionStage<Void> delete(UnitId unit, long czxid) {
        Owed lease = new Owed(unit, czxid);
        Pending pending = owed.computeIfAbsent(lease,
                l -> new Pending(sessionId(), new CompletableFuture<>(), new AtomicBoolean()));
        attempt(lease, pending);
        return pending.done();
    }

    private void connectionChanged(ConnectionState state) {
        switch (state) {
            case RECONNECTED -> {
                long session = sessionId();
                owed.forEach((lease, pending) -> {
                    if (pending.session() == session) {
                        attempt(lease, pending);
                    } else {
                        // A new session: the old one's ephemerals go with it, on the server's schedule.
                        finish(lease, pending);
                    }
                });
            }
            case LOST -> owed.forEach(this::finish);
            default -> {
                // SUSPENDED: the owed deletes wait; CONNECTED comes once, before any lease.
            }
        }
    }

    /** Syncs, reads the node, then deletes it if it is the one created at the owed zxid; one at a time. */
    private void attempt(Owed lease, Pending pending) {
        if (!client.getZookeeperClient().isConnected()) {
            LOG.info("the delete of the lease of {} waits for the connection to ZooKeeper", lease.unit());
            return;
        }
        if (!pending.inFlight().compareAndSet(false, true)) {
            return; // The attempt in flight decides; one that the connection cuts off tries again.
        }
        String path = paths.lease(lease.unit());
        try {
            ZooKeeper zookeeper = client.getZookeeperClient().getZooKeeper();
            zookeeper.sync(path, (synced, p, ctx) -> {
                if (synced != KeeperException.Code.OK.intValue()) {
                    ended(lease, pending, KeeperException.Code.get(synced));
                    return;
                }
                zookeeper.exists(path, false, (read, p2, ctx2, stat) -> read(lease, pending, zookeeper, path,
                        KeeperException.Code.get(read), stat), null);
            }, null);
        } catch (Exception e) {
            pending.inFlight().set(false);
            owed.remove(lease, pending);
            pending.done().completeExceptionally(e);
        }
    }

    private void read(Owed lease, Pending pending, ZooKeeper zookeeper, String path, KeeperException.Code code, Stat stat) {
        if (code == KeeperException.Code.NONODE || (code == KeeperException.Code.OK && stat.getCzxid() != lease.czxid())) {
            ended(lease, pending, KeeperException.Code.OK);
        } else if (code != KeeperException.Code.OK) {
            ended(lease, pending, code);
        } else {
            zookeeper.delete(path, stat.getVersion(), (deleted, p, ctx) -> {
                KeeperException.Code outcome = KeeperException.Code.get(deleted);
                ended(lease, pending, outcome == KeeperException.Code.NONODE || outcome == KeeperException.Code.BADVERSION
                        ? KeeperException.Code.OK : outcome);
            }, null);
        }
    }

    /**
     * An attempt's outcome: done; or cut off by the connection, so still owed (and tried again at
     * once if the connection is already back with the same session); or the session expired and
     * took the lease with it; or anything else, which fails the delete.
     */
    private void ended(Owed lease, Pending pending, KeeperException.Code code) {
        pending.inFlight().set(false);
        switch (code) {
            case OK, SESSIONEXPIRED -> finish(lease, pending);
            case CONNECTIONLOSS, OPERATIONTIMEOUT, SESSIONMOVED -> {
                LOG.info("the delete of the lease of {} waits for the connection to ZooKeeper", lease.unit());
                if (client.getZookeeperClient().isConnected() && pending.session() == sessionId()) {
                    attempt(lease, pending);
                }
            }
            default -> {
                owed.remove(lease, pending);
                pending.done().completeExceptionally(KeeperException.create(code, paths.lease(lease.unit())));
            }
        }
    }

    private void finish(Owed lease, Pending pending) {
        owed.remove(lease, pending);
        pending.done().complete(null);
    }

    private long sessionId() {
        try {
            return client.getZookeeperClient().getZooKeeper().getSessionId();
        } catch (Exception e) {
            return -1;
        }
    }
}
