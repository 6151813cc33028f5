package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.coordinator.WorkerInfo;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.zookeeper.CreateMode;

/**
 * The worker's ephemeral znode under {@code workers/}. Curator's {@link PersistentNode}
 * recreates it after a session loss, so a worker that comes back re-registers by itself.
 */
final class WorkerRegistration implements AutoCloseable {

    private final PersistentNode node;

    WorkerRegistration(CuratorFramework client, ZkPaths paths, WorkerInfo info) {
        this.node = new PersistentNode(client, CreateMode.EPHEMERAL, false, paths.worker(info.id()), ZkJson.worker(info));
    }

    /** Creates the node and waits, bounded, until it exists. */
    void start(long timeoutMillis) throws InterruptedException {
        node.start();
        if (!node.waitForInitialCreate(timeoutMillis, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("could not register in ZooKeeper within " + timeoutMillis + " ms");
        }
    }

    @Override
    public void close() {
        try {
            node.close();
        } catch (IOException e) {
            // The node is ephemeral: it goes with the session in any case.
        }
    }
}
