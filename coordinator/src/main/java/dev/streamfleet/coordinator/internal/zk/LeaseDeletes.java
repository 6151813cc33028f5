package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.core.UnitId;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.KeeperException;
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
 * <p>Curator's guaranteed delete is not used: it retries by path alone, without a version, and so
 * could remove a lease that someone else created meanwhile. Every attempt here first reads the
 * node and deletes only the one whose creation zxid is ours.
 *
 * <p>Thread-safe: calls come from the keeper, outcomes on Curator's event thread, connection
 * states on Curator's listener thread; the owed deletes are a concurrent map, and an attempt
 * that runs twice does no harm.
 */
final class LeaseDeletes {

    private static final Logger LOG = LoggerFactory.getLogger(LeaseDeletes.class);

    /** A lease to delete, by its unit and the zxid that created it. */
    private record Owed(UnitId unit, long czxid) {
    }

    private final CuratorFramework client;
    private final ZkPaths paths;
    private final Map<Owed, Pending> owed = new ConcurrentHashMap<>();

    private record Pending(long session, CompletableFuture<Void> done) {
    }

    LeaseDeletes(CuratorFramework client, ZkPaths paths) {
        this.client = client;
        this.paths = paths;
        client.getConnectionStateListenable().addListener((c, state) -> connectionChanged(state));
    }

    /** Deletes the unit's lease if it is still the one created at {@code czxid}; see the class comment. */
    CompletionStage<Void> delete(UnitId unit, long czxid) {
        Owed lease = new Owed(unit, czxid);
        Pending pending = owed.computeIfAbsent(lease, l -> new Pending(sessionId(), new CompletableFuture<>()));
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

    /** Reads the node, then deletes it if it is the one created at the owed zxid. */
    private void attempt(Owed lease, Pending pending) {
        if (!client.getZookeeperClient().isConnected()) {
            LOG.info("the delete of the lease of {} waits for the connection to ZooKeeper", lease.unit());
            return;
        }
        String path = paths.lease(lease.unit());
        background(lease, pending, () -> client.checkExists().inBackground((c, event) -> {
            KeeperException.Code code = code(event);
            Stat stat = event.getStat();
            if (code == KeeperException.Code.NONODE || (code == KeeperException.Code.OK
                    && (stat == null || stat.getCzxid() != lease.czxid()))) {
                finish(lease, pending);
            } else if (code != KeeperException.Code.OK) {
                failed(lease, pending, code);
            } else {
                background(lease, pending, () -> client.delete().withVersion(stat.getVersion())
                        .inBackground((c2, deleted) -> deleted(lease, pending, code(deleted))).forPath(path));
            }
        }).forPath(path));
    }

    /** Starts a background call; one that cannot even start fails the delete. */
    private void background(Owed lease, Pending pending, Call call) {
        try {
            call.start();
        } catch (Exception e) {
            owed.remove(lease, pending);
            pending.done().completeExceptionally(e);
        }
    }

    @FunctionalInterface
    private interface Call {
        void start() throws Exception;
    }

    private void deleted(Owed lease, Pending pending, KeeperException.Code code) {
        switch (code) {
            case OK, NONODE, BADVERSION -> finish(lease, pending);
            default -> failed(lease, pending, code);
        }
    }

    /**
     * A failed call: one the connection cut off stays owed (and is tried again at once if the
     * connection is already back); an expired session took the lease with it; anything else fails.
     */
    private void failed(Owed lease, Pending pending, KeeperException.Code code) {
        switch (code) {
            case CONNECTIONLOSS, OPERATIONTIMEOUT -> {
                LOG.info("the delete of the lease of {} waits for the connection to ZooKeeper", lease.unit());
                if (client.getZookeeperClient().isConnected() && pending.session() == sessionId()) {
                    attempt(lease, pending);
                }
            }
            case SESSIONEXPIRED -> finish(lease, pending);
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

    private static KeeperException.Code code(CuratorEvent event) {
        return KeeperException.Code.get(event.getResultCode());
    }

    private long sessionId() {
        try {
            return client.getZookeeperClient().getZooKeeper().getSessionId();
        } catch (Exception e) {
            return -1;
        }
    }
}
