package dev.streamfleet.it.coordinator;

import dev.streamfleet.checkpoint.internal.memory.InMemoryCheckpointTable;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.coordinator.CoordinatorConfig;
import dev.streamfleet.coordinator.UnitDiscovery;
import dev.streamfleet.coordinator.UnitState;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.coordinator.internal.zk.FleetMember;
import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** In-JVM workers of one application, with their stand-in unit work, for coordinator tests. */
public final class Fleet implements AutoCloseable {

    static final Duration SESSION_TIMEOUT = Duration.ofSeconds(2);

    final String application = "fleet-" + UUID.randomUUID().toString().substring(0, 8);
    final OwnershipMonitor monitor = new OwnershipMonitor();
    final CheckpointStore store = new InMemoryCheckpointTable().store(application);
    private final ScheduledExecutorService ticker = Executors.newScheduledThreadPool(2);
    final RecordingWork.Factory work;
    private final String zookeeper;
    private final UnitDiscovery discovery;
    private final Duration sessionTimeout;
    private final List<FleetMember> members = new ArrayList<>();
    private int started;

    public Fleet(String zookeeper, UnitDiscovery discovery) {
        this(zookeeper, discovery, SESSION_TIMEOUT, RecordingWork.DEFAULT_TICK_MILLIS);
    }

    public Fleet(String zookeeper, UnitDiscovery discovery, Duration sessionTimeout, long tickMillis) {
        this.zookeeper = zookeeper;
        this.discovery = discovery;
        this.sessionTimeout = sessionTimeout;
        this.work = new RecordingWork.Factory(monitor, ticker, tickMillis);
    }

    private dev.streamfleet.coordinator.ZooKeeperCredentials credentials;

    /** Workers started from now on authenticate with {@code credentials} and protect their znodes. */
    Fleet secured(dev.streamfleet.coordinator.ZooKeeperCredentials credentials) {
        this.credentials = credentials;
        return this;
    }

    CoordinatorConfig config(String connect) {
        CoordinatorConfig config = CoordinatorConfig.of(application, connect).withSessionTimeout(sessionTimeout)
                .withDiscoveryInterval(Duration.ofMillis(500));
        return credentials == null ? config : config.withCredentials(credentials);
    }

    public FleetMember start() {
        return start(zookeeper);
    }

    /** Starts a worker that reaches ZooKeeper through {@code connect} (for example a proxy). */
    public synchronized FleetMember start(String connect) {
        WorkerId id = WorkerId.of("w" + (++started));
        FleetMember member = FleetMember.start(config(connect),
                new WorkerInfo(id, "localhost", "", Instant.now(), "test", 1), discovery, store, work);
        members.add(member);
        return member;
    }

    public synchronized List<FleetMember> members() {
        return List.copyOf(members);
    }

    public synchronized void remove(FleetMember member) {
        members.remove(member);
    }

    /** Units in READING state, by the worker reading them. */
    public Map<WorkerId, Set<UnitId>> reading() {
        Map<WorkerId, Set<UnitId>> result = new HashMap<>();
        for (FleetMember member : members()) {
            Set<UnitId> units = new java.util.TreeSet<>();
            member.units().forEach((unit, state) -> {
                if (state == UnitState.READING) {
                    units.add(unit);
                }
            });
            result.put(member.id(), units);
        }
        return result;
    }

    /** Whether every unit in {@code units} is READING on exactly one worker, and the counts differ by at most one. */
    public boolean balancedAndReading(Set<UnitId> units) {
        Map<WorkerId, Set<UnitId>> reading = reading();
        List<UnitId> all = new ArrayList<>();
        reading.values().forEach(all::addAll);
        if (all.size() != units.size() || !Set.copyOf(all).equals(units)) {
            return false;
        }
        int min = reading.values().stream().mapToInt(Set::size).min().orElse(0);
        int max = reading.values().stream().mapToInt(Set::size).max().orElse(0);
        return max - min <= 1;
    }

    @Override
    public void close() {
        for (FleetMember member : members()) {
            member.close();
        }
        ticker.shutdownNow();
    }
}
