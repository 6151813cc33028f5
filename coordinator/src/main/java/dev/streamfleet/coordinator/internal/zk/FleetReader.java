package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.coordinator.CoordinatorException;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.core.UnitId;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.KeeperException;

/**
 * Reads {@link FleetSnapshot}s from ZooKeeper without joining the fleet, and makes the one
 * administrative write an operator's reset needs: {@link #restartUnit}.
 */
public final class FleetReader implements AutoCloseable {

    private final CuratorFramework client;
    private final String connect;
    private final boolean ownsClient;
    private FleetReader(CuratorFramework client, String connect, boolean ownsClient) {
        this.client = client;
        this.connect = connect;
        this.ownsClient = ownsClient;
    }

    /**
     * A reader over a worker's own session; closing it leaves the session open. What it skips is
     * listed in its snapshots, not counted in the worker's skipped nodes: the status page reads
     * the fleet at every request, and must not add to what the worker itself found.
     */
    static FleetReader over(CuratorFramework client, String connect) {
        return new FleetReader(client, connect, false);
    }

    /** Connects to an open ensemble, bounded by {@code timeout}. */
    public static FleetReader connect(String connect, Duration timeout) {
        return connect(connect, timeout, Optional.empty());
    }

    /** Connects with the fleet's credentials, bounded by {@code timeout}. */
    public static FleetReader connect(String connect, Duration timeout,
                                      Optional<dev.streamfleet.coordinator.ZooKeeperCredentials> credentials) {
        CuratorFramework client = ZkClients.builder(connect, credentials)
                .sessionTimeoutMs((int) Math.max(timeout.toMillis(), 4_000))
                .connectionTimeoutMs((int) timeout.toMillis())
                .retryPolicy(new RetryOneTime(200)).build();
        client.start();
        try {
            if (!client.blockUntilConnected((int) timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                client.close();
                throw new CoordinatorException("ZooKeeper at " + connect + " is unreachable (no connection within "
                        + timeout.toMillis() + " ms)");
            }
        } catch (InterruptedException e) {
            client.close();
            Thread.currentThread().interrupt();
            throw new CoordinatorException("interrupted while connecting to ZooKeeper at " + connect, e);
        }
        return new FleetReader(client, connect, true);
    }

    /**
     * The fleet as ZooKeeper shows it now. A node this version cannot read (a name that is not a
     * worker or unit id, a body that does not parse) is left out and listed in
     * {@link FleetSnapshot#skipped()} with why; it never fails the whole read.
     *
     * @throws CoordinatorException when ZooKeeper cannot be read
     */
    public FleetSnapshot read(String application) {
        ZkPaths paths = new ZkPaths(application);
        List<FleetSnapshot.Skipped> skipped = new ArrayList<>();
        try {
            List<WorkerInfo> workers = new ArrayList<>();
            for (String child : children(paths.workers())) {
                String path = paths.workers() + "/" + child;
                byte[] data = data(path);
                if (data == null) {
                    continue;
                }
                try {
                    ZkJson.WorkerNode node = ZkJson.worker(ZkPaths.workerOf(child).value(), data);
                    workers.add(node.info());
                    node.statusProblem().ifPresent(problem -> skipped.add(skip(path, Optional.of(node.info().id()),
                            problem + "; its status is not fetched", "its status is not fetched")));
                } catch (IllegalArgumentException e) {
                    skipped.add(skip(path, Optional.empty(), e.getMessage(), "left out of the fleet's status"));
                }
            }
            workers.sort(Comparator.comparing(WorkerInfo::id));
            Map<WorkerId, SortedSet<UnitId>> assignments = new TreeMap<>();
            for (String child : children(paths.assignments())) {
                String path = paths.assignments() + "/" + child;
                byte[] data = data(path);
                if (data == null) {
                    continue;
                }
                try {
                    assignments.put(ZkPaths.workerOf(child), ZkJson.assignment(data).units());
                } catch (IllegalArgumentException e) {
                    skipped.add(skip(path, Optional.empty(), e.getMessage(), "left out of the fleet's status"));
                }
            }
            Map<UnitId, WorkerId> holders = new HashMap<>();
            for (String child : children(paths.leases())) {
                String path = paths.leases() + "/" + child;
                byte[] data = data(path);
                if (data == null) {
                    continue;
                }
                try {
                    holders.put(ZkPaths.unitOf(child), ZkJson.lease(data).worker());
                } catch (IllegalArgumentException e) {
                    skipped.add(skip(path, Optional.empty(), e.getMessage(), "its holder is not shown"));
                }
            }
            byte[] generationData = data(paths.generation());
            long generation = 0;
            if (generationData != null) {
                try {
                    generation = ZkJson.generation(generationData);
                } catch (IllegalArgumentException e) {
                    skipped.add(skip(paths.generation(), Optional.empty(), e.getMessage(), "the generation shows as 0"));
                }
            }
            return new FleetSnapshot(application, leader(paths, skipped), generation, workers, assignments, holders,
                    skipped);
        } catch (CoordinatorException e) {
            throw e;
        } catch (Exception e) {
            throw new CoordinatorException("reading fleet " + application + " from ZooKeeper at " + connect + " failed: " + e, e);
        }
    }

    private FleetSnapshot.Skipped skip(String path, Optional<WorkerId> worker, String reason, String consequence) {
        return new FleetSnapshot.Skipped(path, worker, reason);
    }

    /**
     * The id of this ZooKeeper history, once a worker has created it.
     *
     * @throws CoordinatorException when it cannot be read, or holds what is not a fencing domain
     */
    public Optional<String> fencingDomain() {
        byte[] data;
        try {
            data = data(ZkPaths.FENCING_DOMAIN);
        } catch (Exception e) {
            throw new CoordinatorException("reading the fencing domain from ZooKeeper at " + connect + " failed: " + e, e);
        }
        return data == null ? Optional.empty() : Optional.of(FencingDomains.parse(data));
    }

    /**
     * Deletes the unit's lease, so that the worker holding it drops it at once, without a
     * checkpoint, and claims it again a moment later. Used after a reset, so the worker resumes
     * from the new position. Returns whether there was a lease.
     */
    public boolean restartUnit(String application, UnitId unit) {
        try {
            client.delete().forPath(new ZkPaths(application).lease(unit));
            return true;
        } catch (KeeperException.NoNodeException e) {
            return false;
        } catch (Exception e) {
            throw new CoordinatorException("deleting the lease of " + unit + " failed: " + e, e);
        }
    }

    /**
     * The LeaderLatch participant with the lowest sequence number leads; its node holds its worker
     * id. When that is not a worker id the leader is unknown, and said so.
     */
    private Optional<WorkerId> leader(ZkPaths paths, List<FleetSnapshot.Skipped> skipped) throws Exception {
        List<String> participants = new ArrayList<>(children(paths.leader()));
        participants.sort(Comparator.comparing(name -> name.substring(name.lastIndexOf('-') + 1)));
        for (String node : participants) {
            String path = paths.leader() + "/" + node;
            byte[] data = data(path);
            if (data != null && data.length > 0) {
                try {
                    return Optional.of(ZkPaths.workerOf(new String(data, StandardCharsets.UTF_8)));
                } catch (IllegalArgumentException e) {
                    skipped.add(skip(path, Optional.empty(), e.getMessage(), "the leader is shown as unknown"));
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }

    private List<String> children(String path) throws Exception {
        try {
            return client.getChildren().forPath(path);
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        }
    }

    private byte[] data(String path) throws Exception {
        try {
            return client.getData().forPath(path);
        } catch (KeeperException.NoNodeException e) {
            return null;
        }
    }

    @Override
    public void close() {
        if (ownsClient) {
            client.close();
        }
    }
}
