package dev.streamfleet.coordinator.zk;

import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.UnitId;

import java.util.Optional;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.WatcherRemoveCuratorFramework;
import org.apache.curator.framework.api.CuratorWatcher;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * The ZooKeeper side of one worker's leases: creating a lease znode, watching one, and
 * deleting it only while it is still the one this worker created (same creation zxid).
 * Stateless; {@link LeaseKeeper} decides when.
 */
final class LeaseNodes {

    private final CuratorFramework client;
    private final WatcherRemoveCuratorFramework watches;
    private final ZkPaths paths;
    private final WorkerId me;

    LeaseNodes(CuratorFramework client, WatcherRemoveCuratorFramework watches, ZkPaths paths, WorkerId me) {
        this.client = client;
        this.watches = watches;
        this.paths = paths;
        this.me = me;
    }

    /** Creates the unit's ephemeral lease; empty when another lease for it exists. */
    Optional<Stat> create(UnitId unit, long generation) throws Exception {
        Stat stat = new Stat();
        try {
            client.create().storingStatIn(stat).creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL)
                    .forPath(paths.lease(unit), ZkJson.lease(me, generation));
            return Optional.of(stat);
        } catch (KeeperException.NodeExistsException e) {
            return Optional.empty();
        }
    }

    /** Sets {@code watcher} on the unit's lease and returns the lease as it is now, or null when there is none. */
    Stat watch(UnitId unit, CuratorWatcher watcher) throws Exception {
        return watches.checkExists().usingWatcher(watcher).forPath(paths.lease(unit));
    }

    /** Whether {@code lease} belongs to this worker's current session (a leftover of an earlier round). */
    boolean isOurs(Stat lease) {
        return lease.getEphemeralOwner() == sessionId();
    }

    /** Deletes a leftover lease of this session. */
    void deleteLeftover(UnitId unit, Stat lease) throws Exception {
        client.delete().guaranteed().withVersion(lease.getVersion()).forPath(paths.lease(unit));
    }

    /** Whether the unit's lease is still the one created with {@code czxid}, in this session. */
    boolean stillHeld(UnitId unit, long czxid) {
        try {
            Stat stat = client.checkExists().forPath(paths.lease(unit));
            return stat != null && stat.getCzxid() == czxid && stat.getEphemeralOwner() == sessionId();
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * Deletes the unit's lease if it is still the one created with {@code czxid}. Without a
     * connection it does nothing: the lease goes with the session, and waiting for a connection
     * would stall a shutdown.
     */
    void deleteIfOurs(UnitId unit, long czxid) throws Exception {
        if (!client.getZookeeperClient().isConnected()) {
            return;
        }
        String path = paths.lease(unit);
        try {
            Stat stat = client.checkExists().forPath(path);
            if (stat != null && stat.getCzxid() == czxid) {
                client.delete().withVersion(stat.getVersion()).forPath(path);
            }
        } catch (KeeperException.NoNodeException | KeeperException.BadVersionException e) {
            // Gone already.
        }
    }

    /** Tells the leader that the unit reached its end. */
    void reportEnded(UnitId unit) throws Exception {
        try {
            client.create().creatingParentContainersIfNeeded().forPath(paths.ended(unit));
        } catch (KeeperException.NodeExistsException e) {
            // Already reported.
        }
    }

    private long sessionId() {
        try {
            return client.getZookeeperClient().getZooKeeper().getSessionId();
        } catch (Exception e) {
            return -1;
        }
    }
}
