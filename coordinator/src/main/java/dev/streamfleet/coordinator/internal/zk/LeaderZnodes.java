package dev.streamfleet.coordinator.internal.zk;

import java.util.List;
import java.util.OptionalLong;

/**
 * The three ZooKeeper reads the leader makes of its fleet ({@link LeaderReads}): small enough that
 * a simulated ensemble can serve them. Failures are ZooKeeper's own: a missing node is
 * {@link org.apache.zookeeper.KeeperException.NoNodeException}, any other failure of the node or
 * of the connection another {@link org.apache.zookeeper.KeeperException}.
 */
interface LeaderZnodes {

    /** The names of the children of {@code path}. */
    List<String> children(String path) throws Exception;

    /** The data of the node at {@code path}. */
    byte[] data(String path) throws Exception;

    /**
     * The session that owns the node at {@code path} if it is ephemeral, 0 if it is persistent, or
     * empty if there is no node.
     */
    OptionalLong ephemeralOwner(String path) throws Exception;
}
