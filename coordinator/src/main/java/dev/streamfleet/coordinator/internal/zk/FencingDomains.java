package dev.streamfleet.coordinator.internal.zk;

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

    static String getOrCreate(CuratorFramework client) throws Exception {
        String candidate = "zk-" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try {
            client.create().creatingParentContainersIfNeeded().withMode(CreateMode.PERSISTENT)
                    .forPath(ZkPaths.FENCING_DOMAIN, candidate.getBytes(StandardCharsets.UTF_8));
            return candidate;
        } catch (KeeperException.NodeExistsException e) {
            return new String(client.getData().forPath(ZkPaths.FENCING_DOMAIN), StandardCharsets.UTF_8);
        }
    }
}
