package dev.streamfleet.simulation;

import dev.streamfleet.coordinator.LeaseKeeper;
import dev.streamfleet.coordinator.Scheduler;
import dev.streamfleet.coordinator.UnitState;
import dev.streamfleet.coordinator.UnitWorkFactory;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.Ordering;
import dev.streamfleet.worker.Parallelism;
import dev.streamfleet.worker.internal.runtime.CheckpointPolicy;
import dev.streamfleet.core.MonotonicClock;
import dev.streamfleet.worker.internal.runtime.StalledUnits;
import dev.streamfleet.worker.internal.runtime.UnitWorks;
import dev.streamfleet.worker.internal.runtime.WorkerSettings;

import java.time.Duration;
import java.util.Map;
import java.util.Random;

import com.codahale.metrics.MetricRegistry;

/**
 * One worker process, assembled as production assembles it: the real {@link LeaseKeeper} over the
 * simulated ensemble, the real unit runtime on a bounded pool, the default settings, and a leader
 * side that leads while the ensemble says so. Only the threads, the clock, the connection and the
 * store are simulated.
 */
final class SimWorker {

    static final Duration DRAIN = Duration.ofSeconds(10);

    final Fleet fleet;
    final SimLoop loop;
    final WorkerId id;
    final SimLoop.Host host;
    final SimClient client;
    final LeaseKeeper keeper;
    final StalledUnits stalls = new StalledUnits();
    /** The worker's totals, as its /metrics shows them: the simulation reads the retention skips it reported. */
    final MetricRegistry metrics = new MetricRegistry();
    /**
     * The worker's wall clock, which may step while time runs on. Production reads it where a wall
     * time is meant (the checkpoint table's timestamps, a LATEST start, the page), none of which the
     * simulation runs with a worker's clock; its units measure durations on their own clock.
     */
    final SteppedClock clock;
    final SimLeader leader;
    private boolean leaving;
    /** It left after handing every unit over: each of its processors must have heard its ending. */
    boolean handedOver;
    /** Whether its units hand batches of different keys to their processors at once (parallelism 4, by key). */
    final boolean parallel;
    /** Measures its units' loads and publishes them. */
    final LoadMeter loads;
    /** Checks that its unit runners keep no more records than their bounds allow. */
    final MemoryBounds memory;

    SimWorker(Fleet fleet, String name) {
        this.fleet = fleet;
        this.loop = fleet.loop;
        this.id = WorkerId.of(name);
        this.host = loop.host(name);
        this.clock = new SteppedClock(loop.clock);
        host.threaded = loop.random.nextDouble() < 0.35;
        this.client = new SimClient(fleet.zk, host, id);
        SimLoop.Queue keeperThread = host.serial("keeper");
        SimLoop.Queue pool = host.pool("units", WorkerSettings.DEFAULT_THREADS);
        SimLoop.Queue claims = host.serial("claims");
        Scheduler keeperScheduler = host.scheduler(keeperThread, true);
        Scheduler units = host.scheduler(pool, false);
        SimStore store = new SimStore(fleet.rows, loop, host, fleet.history, fleet.storeErrors, fleet.garbage);
        this.parallel = loop.random.nextDouble() < 0.3;
        // A small bound on the records in flight (at least the parallelism, as production requires), so
        // that the runners reach it, and the span bound after a hung key, at the simulation's rates.
        Parallelism parallelism = parallel ? new Parallelism(4, Ordering.KEY, 4 + loop.random.nextInt(13))
                : Parallelism.NONE;
        this.memory = new MemoryBounds(this, parallelism);
        this.loads = new LoadMeter(this);
        WorkerSettings settings = WorkerSettings.defaults()
                .withParallelism(parallelism)
                .withCheckpointInterval(CheckpointPolicy.DEFAULT_INTERVAL)
                .withStuckHandling(WorkerSettings.DEFAULT_STUCK_AFTER, this::exitStuck);
        UnitWorkFactory factory = UnitWorks.factory(memory.counting(fleet.streams.bindings()),
                unit -> fleet.newProbe(this, unit), units, pool, settings, unitClock(), metrics, stalls,
                new Random(loop.random.nextLong()));
        this.keeper = new LeaseKeeper(new SimLeaseNodes(client, fleet.garbage), id, Fleet.DOMAIN, store, factory, DRAIN, keeperScheduler,
                claims, client.confirmations::current);
        this.leader = new SimLeader(this, host.serial("leader"), store);
        client.listen(new SimClient.Listener() {
            @Override
            public void suspended() {
                keeper.suspended();
            }

            @Override
            public void reconnected() {
                keeper.reconnected();
                leader.reconnected();
            }

            @Override
            public void lost() {
                keeper.sessionLost();
                leader.deposed();
            }

            @Override
            public void newSession(long session) {
                fleet.zk.register(session, id);
                leader.newSession();
            }
        });
        fleet.zk.register(client.sessionId(), id);
        keeper.start();
        client.start();
        leader.start();
        loads.start();
        loop.trace.add(loop.now(), id.value(), "FAULT started");
    }

    /**
     * The units' clock, built as {@code StreamWorker} builds it: the wall clock's time at the start,
     * then the monotonic time that passes, which no step of the wall clock moves.
     */
    private MonotonicClock unitClock() {
        return MonotonicClock.startingAt(clock.instant(), loop::nanos);
    }

    /** The stuck handler: production exits with 70 so that the platform restarts the process. */
    private void exitStuck(String reason) {
        loop.trace.add(loop.now(), id.value(), "FAULT exits 70: " + reason);
        fleet.exitedStuck.add(id.value() + ": " + reason);
        host.timer(Duration.ZERO, this::crash);
    }

    /** It was told to leave: it hands every unit over. */
    boolean leaving() {
        return leaving;
    }

    boolean alive() {
        return !host.crashed();
    }

    /** Whether the server says this worker's live session holds the unit's lease. */
    boolean holdsAtServer(UnitId unit) {
        SimZooKeeper.Lease lease = fleet.zk.leases.get(unit);
        return lease != null && lease.session() == client.sessionId() && fleet.zk.alive(lease.session());
    }

    Map<UnitId, UnitState> states() {
        return keeper.states();
    }

    void crash() {
        if (!host.crashed()) {
            loop.trace.add(loop.now(), id.value(), "FAULT crash");
            host.crash();
        }
    }

    /** Leaves as SIGTERM does: every unit handed over, then the session closed and the process gone. */
    void leave() {
        if (leaving || host.crashed()) {
            return;
        }
        leaving = true;
        loop.trace.add(loop.now(), id.value(), "FAULT leaves gracefully");
        keeper.handOver().whenComplete((done, failure) -> host.timer(Duration.ZERO, () -> {
            handedOver = failure == null && !host.crashed();
            exit();
        }));
        host.timer(DRAIN.plusSeconds(5), this::exit);
    }

    private void exit() {
        if (!host.crashed()) {
            loop.trace.add(loop.now(), id.value(), "exits after handing over");
            leader.deposed();
            fleet.zk.close(client.sessionId());
            host.crash();
        }
    }

    @Override
    public String toString() {
        return id.value();
    }
}
