package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.coordinator.AssignmentStrategy;
import dev.streamfleet.coordinator.CoordinatorConfig;
import dev.streamfleet.coordinator.CoordinatorException;
import dev.streamfleet.coordinator.LeaseKeeper;
import dev.streamfleet.coordinator.RebalanceRecord;
import dev.streamfleet.coordinator.Scheduler;
import dev.streamfleet.coordinator.StickyBalancedStrategy;
import dev.streamfleet.coordinator.TaskFailures;
import dev.streamfleet.coordinator.UnitDiscovery;
import dev.streamfleet.coordinator.UnitState;
import dev.streamfleet.coordinator.UnitWorkFactory;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.core.MonotonicClock;
import dev.streamfleet.core.UnitId;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;

/**
 * One worker's membership in its fleet: its registration, its part in leader election (and
 * the rebalance loop while it leads), and the leases of the units it holds. Composed of
 * {@link WorkerRegistration}, {@link LeaderElection}, {@link RebalanceLoop} and
 * {@link LeaseKeeper}, over one ZooKeeper session.
 *
 * <p>Lifecycle: {@link #start} joins the fleet; {@link #close} leaves it gracefully, handing
 * every unit over with a final checkpoint.
 */
public final class FleetMember implements AutoCloseable {

    private enum State { STARTED, CLOSED }

    /** Threads the checkpoint-row claims may use at once; more units than this wait their turn. */
    private static final int UNIT_OPERATION_THREADS = 8;

    private final CoordinatorConfig config;
    private final WorkerInfo info;
    private final CuratorFramework client;
    private final ScheduledExecutorService leaderThread;
    private final ScheduledExecutorService keeperThread;
    private final ScheduledExecutorService sessionThread;
    private final ScheduledExecutorService settleThread;
    private final ExecutorService claimThreads;
    private final AtomicReference<State> state = new AtomicReference<>(State.STARTED);
    /** Every task on this member's threads that throws is reported here, never swallowed. */
    private final TaskFailures failures;
    private final SkippedNodes skippedNodes = new SkippedNodes();
    private String fencingDomain;
    private WorkerRegistration registration;
    private LeaseKeeper keeper;
    private LeaderElection election;
    private RebalanceLoop loop;

    private FleetMember(CoordinatorConfig config, WorkerInfo info) {
        this.config = config;
        this.info = info;
        String name = "streamfleet-" + info.id().value();
        this.failures = new TaskFailures("worker " + info.id());
        this.leaderThread = failures.singleThread(name + "-leader");
        this.keeperThread = failures.singleThread(name + "-leases");
        this.sessionThread = failures.singleThread(name + "-session");
        this.settleThread = failures.singleThread(name + "-settle");
        this.claimThreads = Executors.newFixedThreadPool(UNIT_OPERATION_THREADS, threads(name + "-claims"));
        int sessionMillis = (int) config.sessionTimeout().toMillis();
        this.client = ZkClients.builder(config.zookeeper(), config.credentials())
                .sessionTimeoutMs(sessionMillis)
                .connectionTimeoutMs(Math.min(sessionMillis, 15_000))
                .retryPolicy(new ExponentialBackoffRetry(100, 3, 1_000))
                .build();
    }

    /** Joins the fleet with the default sticky strategy. */
    public static FleetMember start(CoordinatorConfig config, WorkerInfo info, UnitDiscovery discovery,
                                    CheckpointStore store, UnitWorkFactory factory) {
        return start(config, info, discovery, store, factory, new StickyBalancedStrategy(config.balancing().policy()),
                leaderClock());
    }

    /**
     * The clock the leader's schedule (the quiet period, retries, how long a unit stayed) runs on: a
     * wall clock stepped back by NTP or an operator would hold a rebalance off for the length of the
     * step, so it runs on the monotonic counter from the wall's time at the start.
     */
    static Clock leaderClock() {
        return MonotonicClock.system(Clock.systemUTC());
    }

    /**
     * Joins the fleet: connects (bounded by the session timeout), registers, starts following
     * its assignment and enters leader election.
     *
     * @throws CoordinatorException when ZooKeeper cannot be reached or the fleet cannot be joined, among
     *     others when {@code /streamfleet/fencing-domain} holds what is not a fencing domain (no lease
     *     could be fenced: the worker would hold every unit in CLAIMING, silently)
     */
    public static FleetMember start(CoordinatorConfig config, WorkerInfo info, UnitDiscovery discovery,
                                    CheckpointStore store, UnitWorkFactory factory, AssignmentStrategy strategy,
                                    Clock clock) {
        if (!store.application().equals(config.application())) {
            throw new IllegalArgumentException("the checkpoint store is for application " + store.application()
                    + ", the coordinator for " + config.application());
        }
        FleetMember member = new FleetMember(config, info);
        try {
            member.join(discovery, store, factory, strategy, clock);
            return member;
        } catch (RuntimeException e) {
            member.shutdown();
            throw e;
        }
    }

    private void join(UnitDiscovery discovery, CheckpointStore store, UnitWorkFactory factory,
                      AssignmentStrategy strategy, Clock clock) {
        ZkPaths paths = new ZkPaths(config.application());
        client.start();
        try {
            if (!client.blockUntilConnected((int) config.sessionTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                throw new CoordinatorException("ZooKeeper at " + config.zookeeper() + " is unreachable (no connection within "
                        + config.sessionTimeout().toMillis() + " ms)");
            }
            fencingDomain = FencingDomains.getOrCreate(client);
            SessionConfirmations confirmations = confirmSession(paths);
            keeper = new LeaseKeeper(new CuratorLeaseNodes(client, paths, info.id(), skippedNodes), info.id(), fencingDomain,
                    store, factory, config.drainTimeout(), Scheduler.of(keeperThread, failures), claimThreads,
                    confirmations::current);
            client.getConnectionStateListenable().addListener((c, newState) -> {
                switch (newState) {
                    case SUSPENDED -> keeper.suspended();
                    case RECONNECTED -> keeper.reconnected();
                    case LOST -> keeper.sessionLost();
                    default -> {
                        // CONNECTED comes once, before the keeper starts; READ_ONLY is not enabled.
                    }
                }
            });
            registration = new WorkerRegistration(client, paths, info);
            registration.start(config.sessionTimeout().toMillis());
            keeper.start();
            loop = new RebalanceLoop(client, paths, config, discovery, store, strategy, clock, leaderThread, settleThread,
                    skippedNodes, failures);
            election = new LeaderElection(client, paths, info.id(), new LeaderElection.Listener() {
                @Override
                public void elected(String electionPath) {
                    loop.elected(electionPath);
                }

                @Override
                public void deposed() {
                    loop.deposed();
                }
            }, leaderThread);
            election.start();
        } catch (CoordinatorException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CoordinatorException("interrupted while joining the fleet", e);
        } catch (Exception e) {
            throw new CoordinatorException("could not join fleet " + config.application() + " on ZooKeeper "
                    + config.zookeeper() + ": " + e, e);
        }
    }

    public WorkerId id() {
        return info.id();
    }

    /** The id of the ZooKeeper history whose zxids are this fleet's epochs. */
    public String fencingDomain() {
        return fencingDomain;
    }

    public boolean isLeader() {
        return election != null && election.isLeader();
    }

    /** The units this worker is handling now and their states. */
    public Map<UnitId, UnitState> units() {
        return keeper == null ? Map.of() : keeper.states();
    }

    /** Why each of this worker's FAILED units stopped. */
    public Map<UnitId, String> failures() {
        return keeper == null ? Map.of() : keeper.failures();
    }

    /**
     * How many bad values of znodes this worker found and skipped (a name that is not a worker or
     * unit id, a body that does not parse), each counted once; each was logged at WARN.
     */
    public long skippedNodes() {
        return skippedNodes.count();
    }

    /** The failures of the tasks on this member's threads (leases, leadership, session checks). */
    public TaskFailures taskFailures() {
        return failures;
    }

    /** The assignments this worker published while it led, newest last. */
    public List<RebalanceRecord> rebalances() {
        return loop == null ? List.of() : loop.history();
    }

    /**
     * Publishes this worker's units' loads for the leader, on the caller's thread: an ephemeral
     * node, created on first use and again after a lost session.
     *
     * @throws CoordinatorException when ZooKeeper does not take the write
     */
    public void publishLoads(Map<UnitId, dev.streamfleet.coordinator.UnitLoad> loads) {
        byte[] body = ZkJson.loads(loads);
        String path = new ZkPaths(config.application()).loads(info.id());
        try {
            try {
                client.setData().forPath(path, body);
            } catch (org.apache.zookeeper.KeeperException.NoNodeException e) {
                client.create().creatingParentContainersIfNeeded().withMode(org.apache.zookeeper.CreateMode.EPHEMERAL)
                        .forPath(path, body);
            }
        } catch (Exception e) {
            throw new CoordinatorException("could not publish the units' loads: " + e, e);
        }
    }

    /** The fleet as ZooKeeper shows it now, read through this worker's session. */
    public FleetSnapshot snapshot() {
        return FleetReader.over(client, config.zookeeper()).read(config.application());
    }

    /** This worker's ZooKeeper session. */
    public ZkSession session() {
        try {
            ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
            return new ZkSession(zk.getSessionId(), zk.getSessionPasswd());
        } catch (Exception e) {
            throw new CoordinatorException("no ZooKeeper session: " + e, e);
        }
    }

    /**
     * Leaves the fleet gracefully: gives up leadership, unregisters (so the leader reassigns at
     * once), drains every unit with a final checkpoint and deletes its leases, then disconnects.
     */
    @Override
    public void close() {
        if (!state.compareAndSet(State.STARTED, State.CLOSED)) {
            return;
        }
        if (election != null) {
            election.close();
        }
        try {
            leaderThread.execute(() -> {
                if (loop != null) {
                    loop.deposed();
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Already stopped.
        }
        if (registration != null) {
            registration.close();
        }
        if (keeper != null) {
            keeper.close();
        }
        shutdown();
    }

    /**
     * Has this worker's session confirmed by the ensemble's leader four times per session timeout,
     * so that the unit readers know whether their leases are certainly still theirs (design.md §5).
     * A {@code sync}, not a read: a follower answers a read from what it has, and one cut off from
     * the leader goes on answering for up to syncLimit × tickTime after the leader expired the
     * session; it answers a sync only once the leader has (and after every change the leader
     * committed before, a closed session included). The asks do not wait for each other, so one
     * that is never answered holds nothing up: the leases stop counting as current when the last
     * confirmation ages out.
     */
    private SessionConfirmations confirmSession(ZkPaths paths) {
        Duration timeout = config.sessionTimeout();
        try {
            Duration negotiated = Duration.ofMillis(client.getZookeeperClient().getZooKeeper().getSessionTimeout());
            if (negotiated.compareTo(timeout) < 0 && !negotiated.isZero()) {
                timeout = negotiated;
            }
        } catch (Exception e) {
            throw new CoordinatorException("ZooKeeper at " + config.zookeeper() + " dropped the connection while joining: " + e);
        }
        SessionConfirmations confirmations = new SessionConfirmations(timeout, System::nanoTime);
        Runnable ask = () -> {
            long sent = confirmations.now();
            try {
                client.getZookeeperClient().getZooKeeper().sync(paths.workers(), (code, path, context) -> {
                    if (code == KeeperException.Code.OK.intValue()) {
                        confirmations.confirmed(sent);
                    }
                }, null);
            } catch (Exception e) {
                // Not confirmed: the leases stop counting as current when the last confirmation ages out.
            }
        };
        ask.run();
        long every = SessionConfirmations.interval(timeout).toMillis();
        // Guarded: a periodic task that throws would never run again.
        sessionThread.scheduleAtFixedRate(failures.guard(ask), every, every, TimeUnit.MILLISECONDS);
        return confirmations;
    }

    private void shutdown() {
        sessionThread.shutdownNow();
        settleThread.shutdownNow();
        leaderThread.shutdownNow();
        keeperThread.shutdownNow();
        claimThreads.shutdownNow();
        awaitQuietly(leaderThread);
        awaitQuietly(keeperThread);
        awaitQuietly(sessionThread);
        awaitQuietly(settleThread);
        awaitQuietly(claimThreads);
        client.close();
    }

    private static void awaitQuietly(ExecutorService executor) {
        try {
            executor.awaitTermination(Duration.ofSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
