package dev.streamfleet.coordinator.internal.zk;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

import org.apache.zookeeper.KeeperException;

/**
 * The leader's port served from one simulated server's tree: a missing node is ZooKeeper's
 * {@code NoNodeException}, as the Curator implementation hears it. Connection failures do not
 * happen here: the simulation serves a rebalance's reads in one request, which fails as a whole.
 */
final class SimLeaderZnodes implements LeaderZnodes {

    private final SimLeaderReads.Znodes tree;
    private final ZkPaths paths;

    SimLeaderZnodes(SimLeaderReads.Znodes tree, ZkPaths paths) {
        this.tree = tree;
        this.paths = paths;
    }

    static String path(ZkPaths paths, SimLeaderReads.Area area) {
        return switch (area) {
            case WORKERS -> paths.workers();
            case ASSIGNMENTS -> paths.assignments();
            case LOADS -> paths.loads();
            case ENDED -> paths.ended();
        };
    }

    @Override
    public List<String> children(String path) throws Exception {
        return new ArrayList<>(tree.children(area(path)));
    }

    @Override
    public byte[] data(String path) throws Exception {
        return node(path).data().clone();
    }

    @Override
    public OptionalLong ephemeralOwner(String path) throws Exception {
        try {
            return OptionalLong.of(node(path).ephemeralOwner());
        } catch (KeeperException.NoNodeException e) {
            return OptionalLong.empty();
        }
    }

    private SimLeaderReads.Znode node(String path) throws KeeperException {
        int slash = path.lastIndexOf('/');
        SimLeaderReads.Znode node = tree.node(area(path.substring(0, slash)), path.substring(slash + 1));
        if (node == null) {
            throw new KeeperException.NoNodeException(path);
        }
        return node;
    }

    private SimLeaderReads.Area area(String path) {
        for (SimLeaderReads.Area area : SimLeaderReads.Area.values()) {
            if (path(paths, area).equals(path)) {
                return area;
            }
        }
        throw new IllegalArgumentException("the leader reads no node " + path);
    }
}
