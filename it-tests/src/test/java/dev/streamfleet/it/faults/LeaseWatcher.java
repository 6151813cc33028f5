package dev.streamfleet.it.faults;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.retry.ExponentialBackoffRetry;

/**
 * Watches a fleet's lease znodes from outside the workers and keeps every tenure: which worker
 * held which unit from when to when, in wall-clock millis as this watcher saw it. ZooKeeper lets
 * one lease node exist per unit, so the tenures are the ground truth against which the
 * workers' processing times are checked.
 */
final class LeaseWatcher implements AutoCloseable {

    /** A worker's hold on a unit; {@code to} is {@link Long#MAX_VALUE} while it lasts. */
    record Tenure(String unit, String worker, long from, long to) {

        boolean covers(long millis, long slack) {
            return millis >= from - slack && millis <= (to == Long.MAX_VALUE ? to : to + slack);
        }

        boolean strictlyCovers(long millis, long margin) {
            return millis > from + margin && (to == Long.MAX_VALUE || millis < to - margin);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final CuratorFramework client;
    private final CuratorCache cache;
    private final String leases;
    private final Map<String, Tenure> open = new HashMap<>();
    private final List<Tenure> closed = new ArrayList<>();

    LeaseWatcher(String connect, String application) throws InterruptedException {
        this.leases = "/streamfleet/" + application + "/leases";
        this.client = CuratorFrameworkFactory.builder().connectString(connect).sessionTimeoutMs(30_000)
                .connectionTimeoutMs(5_000).retryPolicy(new ExponentialBackoffRetry(100, 10, 1_000)).build();
        client.start();
        if (!client.blockUntilConnected(10, java.util.concurrent.TimeUnit.SECONDS)) {
            throw new IllegalStateException("the lease watcher cannot reach ZooKeeper at " + connect);
        }
        this.cache = CuratorCache.build(client, leases);
        cache.listenable().addListener(CuratorCacheListener.builder()
                .forCreates(this::created)
                .forChanges((before, after) -> {
                    if (!worker(before).equals(worker(after))) {
                        deleted(before);
                        created(after);
                    }
                })
                .forDeletes(this::deleted)
                .build());
        cache.start();
    }

    /**
     * A tenure starts when its lease znode was created (the server's clock, the same host's), not
     * when the watch event reached this watcher: a new owner claims its row right after creating
     * the lease, often before the event arrives.
     */
    private synchronized void created(ChildData node) {
        String unit = unit(node);
        if (unit != null) {
            long from = node.getStat() != null && node.getStat().getCtime() > 0 ? node.getStat().getCtime()
                    : System.currentTimeMillis();
            open.put(unit, new Tenure(unit, worker(node), from, Long.MAX_VALUE));
        }
    }

    private synchronized void deleted(ChildData node) {
        String unit = unit(node);
        if (unit == null) {
            return;
        }
        Tenure tenure = open.remove(unit);
        if (tenure != null) {
            closed.add(new Tenure(unit, tenure.worker(), tenure.from(), System.currentTimeMillis()));
        }
    }

    private String unit(ChildData node) {
        String path = node.getPath();
        if (!path.startsWith(leases + "/")) {
            return null;
        }
        return path.substring(leases.length() + 1).replace('~', '/');
    }

    private static String worker(ChildData node) {
        try {
            return JSON.readTree(new String(node.getData(), StandardCharsets.UTF_8)).path("workerId").asText();
        } catch (java.io.IOException | RuntimeException e) {
            return "?";
        }
    }

    /**
     * Every tenure seen so far, ended or not. A tenure ends when this watcher saw its node deleted,
     * which trails the deletion; when another tenure of the unit followed, it ended no later than
     * that one's node was created (the server's clock, one lease node per unit), which bounds it exactly.
     */
    synchronized List<Tenure> tenures() {
        List<Tenure> all = new ArrayList<>(closed);
        all.addAll(open.values());
        return boundedBySuccessors(all);
    }

    /** Each tenure ended no later than the next tenure of its unit began. */
    static List<Tenure> boundedBySuccessors(List<Tenure> tenures) {
        List<Tenure> all = new ArrayList<>(tenures);
        all.sort(java.util.Comparator.comparing(Tenure::unit).thenComparingLong(Tenure::from));
        List<Tenure> bounded = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            Tenure tenure = all.get(i);
            Tenure next = i + 1 < all.size() && all.get(i + 1).unit().equals(tenure.unit()) ? all.get(i + 1) : null;
            bounded.add(next == null || next.from() >= tenure.to() ? tenure
                    : new Tenure(tenure.unit(), tenure.worker(), tenure.from(), Math.max(tenure.from(), next.from())));
        }
        return bounded;
    }

    /** Which worker holds each unit right now. */
    synchronized Map<String, String> holders() {
        Map<String, String> holders = new HashMap<>();
        open.forEach((unit, tenure) -> holders.put(unit, tenure.worker()));
        return holders;
    }

    @Override
    public void close() {
        cache.close();
        client.close();
    }
}
