package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.coordinator.WorkerId;

import java.io.IOException;
import java.util.concurrent.Executor;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;

/**
 * Leader election among the fleet's workers, on Curator's {@link LeaderLatch}. The latch
 * gives up leadership as soon as the connection is SUSPENDED or LOST. The election znode path
 * that won is handed to the listener: assignment writes check that it still exists, so a
 * deposed leader's writes fail (docs/design.md §6).
 */
final class LeaderElection implements AutoCloseable {

    /** Leadership changes, delivered on the executor given to the election. */
    interface Listener {
        /** This worker leads; {@code electionPath} is its latch znode, which fences its writes. */
        void elected(String electionPath);

        /** This worker no longer leads. */
        void deposed();
    }

    private final LeaderLatch latch;

    LeaderElection(CuratorFramework client, ZkPaths paths, WorkerId worker, Listener listener, Executor executor) {
        this.latch = new LeaderLatch(client, paths.leader(), worker.value(), LeaderLatch.CloseMode.NOTIFY_LEADER);
        latch.addListener(new LeaderLatchListener() {
            @Override
            public void isLeader() {
                // The path that actually won: getOurPath() may already name a node re-created after a
                // reconnect, which would fence this leader's writes with a token it never held (CURATOR-537).
                listener.elected(latch.getLastPathIsLeader());
            }

            @Override
            public void notLeader() {
                listener.deposed();
            }
        }, executor);
    }

    void start() throws Exception {
        latch.start();
    }

    boolean isLeader() {
        return latch.hasLeadership();
    }

    @Override
    public void close() {
        try {
            latch.close();
        } catch (IOException | IllegalStateException e) {
            // Already closed, or the session is gone and the latch znode with it.
        }
    }
}
