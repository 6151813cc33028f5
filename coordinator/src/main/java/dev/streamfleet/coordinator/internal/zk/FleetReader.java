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
import org.apache.curator.framework.CuratorFrameworkFactory;
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

    /** A reader over a worker's own session; closing it leaves the session open. */
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
        CuratorFramework client = ZkClients.withCredentials(CuratorFrameworkFactory.builder().connectString(connect)
                .sessionTimeoutMs((int) Math.max(timeout.toMillis(), 4_000))
                .connectionTimeoutMs((int) timeout.toMillis())
                .retryPolicy(new RetryOneTime(200)), credentials).build();
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

    public FleetSnapshot read(String application) {
        ZkPaths paths = new ZkPaths(application);
        try {
            List<WorkerInfo> workers = new ArrayList<>();
            for (String child : children(paths.workers())) {
                byte[] data = data(paths.workers() + "/" + child);
                if (data != null) {
                    workers.add(ZkJson.worker(data));
                }
            }
            workers.sort(Comparator.comparing(WorkerInfo::id));
            Map<WorkerId, SortedSet<UnitId>> assignments = new TreeMap<>();
            for (String child : children(paths.assignments())) {
                byte[] data = data(paths.assignments() + "/" + child);
                if (data != null) {
                    assignments.put(WorkerId.of(child), ZkJson.assignment(data).units());
                }
            }
            Map<UnitId, WorkerId> holders = new HashMap<>();
            for (String child : children(paths.leases())) {
                byte[] data = data(paths.leases() + "/" + child);
                if (data != null) {
                    holders.put(ZkPaths.unitOf(child), ZkJson.lease(data).worker());
                }
            }
            byte[] generation = data(paths.generation());
            return new FleetSnapshot(application, leader(paths),
                    generation == null ? 0 : Long.parseLong(new String(generation, StandardCharsets.UTF_8).trim()),
                    workers, assignments, holders);
        } catch (CoordinatorException e) {
            throw e;
        } catch (Exception e) {
            throw new CoordinatorException("reading fleet " + application + " from ZooKeeper at " + connect + " failed: " + e, e);
        }
    }

    /** The id of this ZooKeeper history, once a worker has created it. */
    public Optional<String> fencingDomain() {
        try {
            byte[] data = data(ZkPaths.FENCING_DOMAIN);
            return data == null ? Optional.empty() : Optional.of(new String(data, StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new CoordinatorException("reading the fencing domain from ZooKeeper at " + connect + " failed: " + e, e);
        }
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

    /** The LeaderLatch participant with the lowest sequence number leads; its node holds its worker id. */
    private Optional<WorkerId> leader(ZkPaths paths) throws Exception {
        List<String> participants = new ArrayList<>(children(paths.leader()));
        participants.sort(Comparator.comparing(name -> name.substring(name.lastIndexOf('-') + 1)));
        for (String node : participants) {
            byte[] data = data(paths.leader() + "/" + node);
            if (data != null && data.length > 0) {
                return Optional.of(WorkerId.of(new String(data, StandardCharsets.UTF_8)));
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
