package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.coordinator.CoordinatorException;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;

/**
 * The id of this ZooKeeper history, created once by whichever worker comes first and read by
 * all others. A rebuilt ensemble has no such node, so it gets a new id, and the checkpoint
 * store can tell its epochs from the old history's (docs/design.md §9).
 */
final class FencingDomains {

    private FencingDomains() {
    }

    /**
     * The fencing domain, created when there is none yet.
     *
     * @throws CoordinatorException when the node holds what is not a fencing domain: no lease could
     *     be fenced with it, so the worker must not join
     */
    static String getOrCreate(CuratorFramework client) throws Exception {
        String candidate = "zk-" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try {
            client.create().creatingParentContainersIfNeeded().withMode(CreateMode.PERSISTENT)
                    .forPath(ZkPaths.FENCING_DOMAIN, candidate.getBytes(StandardCharsets.UTF_8));
            return candidate;
        } catch (KeeperException.NodeExistsException e) {
            return parse(client.getData().forPath(ZkPaths.FENCING_DOMAIN));
        }
    }

    /**
     * The fencing domain stored in the node, validated once, here: a value that no epoch can carry
     * would otherwise fail every lease's claim later, unseen.
     *
     * @throws CoordinatorException in one line naming the node and the value, and what to do
     */
    static String parse(byte[] data) {
        try {
            return ZkJson.fencingDomain(data);
        } catch (IllegalArgumentException e) {
            throw new CoordinatorException("ZooKeeper node " + ZkPaths.FENCING_DOMAIN + ": " + e.getMessage()
                    + "; streamfleet did not write it, and no lease can be fenced with it, so this worker does not join."
                    + " Put back the domain the"
                    + " checkpoint rows were claimed under (the epochs of 'streamfleet checkpoints list' start with it),"
                    + " or delete the node and then run 'streamfleet checkpoints adopt' (docs/design.md §9)");
        }
    }
}
