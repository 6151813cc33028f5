package dev.streamfleet.simulation;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.coordinator.AssignedUnits;
import dev.streamfleet.coordinator.Assignment;
import dev.streamfleet.coordinator.AssignmentStrategy;
import dev.streamfleet.coordinator.ClusterView;
import dev.streamfleet.coordinator.CoordinatorConfig;
import dev.streamfleet.coordinator.RebalanceSchedule;
import dev.streamfleet.coordinator.StickyBalancedStrategy;
import dev.streamfleet.coordinator.UnitSpec;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A worker's leader side: while the ensemble names it leader, it rebalances after the fleet
 * changes (quiet period and longest delay as configured by default), and checks for new units
 * every discovery interval, publishing only the assignments that changed, under a new generation,
 * and only while its session still leads.
 */
final class SimLeader {

    private final SimWorker worker;
    private final SimLoop.Queue thread;
    private final CheckpointStore store;
    private final AssignmentStrategy strategy = new StickyBalancedStrategy();
    private final Map<UnitId, Instant> movedAt = new HashMap<>();
    private RebalanceSchedule schedule;
    private boolean leading;
    private long leadingSession;
    private dev.streamfleet.coordinator.Scheduler.Cancellable tick;

    SimLeader(SimWorker worker, SimLoop.Queue thread, CheckpointStore store) {
        this.worker = worker;
        this.thread = thread;
        this.store = store;
    }

    void start() {
        watchMembers();
        worker.host.timer(CoordinatorConfig.DEFAULT_DISCOVERY_INTERVAL, this::discoveryCheck);
    }

    private SimZooKeeper zk() {
        return worker.fleet.zk;
    }

    private void watchMembers() {
        long session = worker.client.sessionId();
        zk().watch("members", session, worker.client, () -> {
            thread.execute(this::checkLeadership);
            watchMembers();
        });
        zk().watch("ended", session, worker.client, () -> {
            thread.execute(this::changed);
        });
        thread.execute(this::checkLeadership);
    }

    private void checkLeadership() {
        boolean now = zk().leader().filter(worker.id::equals).isPresent() && worker.client.connected();
        if (now && !leading) {
            leading = true;
            leadingSession = worker.client.sessionId();
            schedule = new RebalanceSchedule(CoordinatorConfig.DEFAULT_REBALANCE_QUIET,
                    CoordinatorConfig.DEFAULT_REBALANCE_MAX_DELAY);
            movedAt.clear();
            worker.loop.trace.add(worker.loop.now(), worker.id.value(), "elected leader");
        }
        if (leading) {
            changed();
        }
    }

    void deposed() {
        leading = false;
        if (tick != null) {
            tick.cancel();
        }
    }

    private void discoveryCheck() {
        thread.execute(() -> {
            if (leading) {
                changed();
            }
        });
        worker.host.timer(CoordinatorConfig.DEFAULT_DISCOVERY_INTERVAL, this::discoveryCheck);
    }

    private void changed() {
        if (!leading) {
            return;
        }
        schedule.changed(worker.loop.now());
        if (tick != null) {
            tick.cancel();
        }
        schedule.dueAt().ifPresent(due -> tick = worker.host.timer(Duration.between(worker.loop.now(), due),
                () -> thread.execute(this::onTick)));
    }

    private void onTick() {
        if (!leading || !schedule.isDue(worker.loop.now())) {
            return;
        }
        schedule.started();
        if (!zk().alive(leadingSession) || zk().leader().filter(worker.id::equals).isEmpty()) {
            deposed();
            return;
        }
        try {
            rebalance();
        } catch (RuntimeException e) {
            worker.loop.trace.add(worker.loop.now(), worker.id.value(), "rebalance failed: " + e);
            schedule.changed(worker.loop.now().plusSeconds(1));
            changed();
        }
    }

    private void rebalance() {
        SimZooKeeper zk = zk();
        SortedSet<WorkerId> workers = new TreeSet<>(zk.members.values());
        Map<UnitId, UnitSpec> units = new TreeMap<>();
        worker.fleet.streams.bindings().forEach(b -> b.discovery().discover().forEach(spec -> units.put(spec.id(), spec)));
        Map<UnitId, WorkerId> owners = new HashMap<>();
        zk.assignments.forEach((w, body) -> {
            if (body instanceof AssignedUnits assigned) {
                assigned.units().forEach(unit -> owners.put(unit, w));
            }
        });
        Set<UnitId> ended = new HashSet<>();
        for (UnitId unit : units.keySet()) {
            if (store.read(unit).map(Checkpoint::isEnded).orElse(false)) {
                ended.add(unit);
            }
        }
        Instant now = worker.loop.now();
        Assignment next = strategy.assign(new ClusterView(workers, units, owners, ended, Map.of(), Map.of(), movedAt, now));
        long generation = zk.generation + 1;
        Map<WorkerId, AssignedUnits> changed = new TreeMap<>();
        for (WorkerId w : workers) {
            SortedSet<UnitId> mine = next.unitsOf(w);
            Object current = zk.assignments.get(w);
            if (!(current instanceof AssignedUnits assigned) || !assigned.units().equals(mine)) {
                changed.put(w, new AssignedUnits(generation, mine));
            }
        }
        if (!changed.isEmpty()) {
            next.movedFrom(owners).forEach(unit -> movedAt.put(unit, now));
            zk.publish(generation, changed);
            worker.loop.trace.add(now, worker.id.value(), "published generation " + generation + ": " + changed);
        }
        for (WorkerId w : new TreeSet<>(zk.assignments.keySet())) {
            if (!workers.contains(w)) {
                zk.deleteAssignment(w);
            }
        }
        zk.ended.clear();
    }
}
