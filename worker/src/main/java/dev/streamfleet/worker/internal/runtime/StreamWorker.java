package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.coordinator.CoordinatorConfig;
import dev.streamfleet.coordinator.TaskFailures;
import dev.streamfleet.coordinator.UnitDiscovery;
import dev.streamfleet.coordinator.UnitSpec;
import dev.streamfleet.coordinator.UnitState;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.coordinator.internal.zk.FleetMember;
import dev.streamfleet.core.MonotonicClock;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.RecordProcessorFactory;
import dev.streamfleet.worker.SourceBinding;
import dev.streamfleet.worker.UnitMetricsSnapshot;
import dev.streamfleet.worker.WorkerRuntime;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;

import com.codahale.metrics.MetricRegistry;

/**
 * One worker process's reading: joins the fleet, and for every unit it is given opens the
 * unit's source, creates a processor and runs the unit's loop on a shared, bounded pool.
 */
public final class StreamWorker implements AutoCloseable {

    private final FleetMember member;
    private final UnitThreads threads;
    private final MetricRegistry metrics;
    private final UnitMetrics.Board unitMetrics;
    private final StalledUnits stalls;
    private final LoadReporter loads;
    private final MonotonicClock clock;

    private StreamWorker(FleetMember member, UnitThreads threads, MetricRegistry metrics, UnitMetrics.Board unitMetrics,
                         StalledUnits stalls, LoadReporter loads, MonotonicClock clock) {
        this.loads = loads;
        this.clock = clock;
        this.threads = threads;
        this.stalls = stalls;
        this.unitMetrics = unitMetrics;
        this.member = member;
        this.metrics = metrics;
    }

    /** Joins the fleet and starts reading whatever units the leader assigns, on a pool, clock and registry of its own. */
    public static StreamWorker start(CoordinatorConfig coordinator, WorkerInfo info, CheckpointStore store,
                                     List<SourceBinding> bindings, RecordProcessorFactory processors,
                                     WorkerSettings settings) {
        return start(coordinator, info, store, bindings, processors, settings, WorkerRuntime.defaults());
    }

    /** Joins the fleet and starts reading whatever units the leader assigns, on the given runtime. */
    public static StreamWorker start(CoordinatorConfig coordinator, WorkerInfo info, CheckpointStore store,
                                     List<SourceBinding> bindings, RecordProcessorFactory processors,
                                     WorkerSettings settings, WorkerRuntime runtime) {
        TaskFailures unitFailures = new TaskFailures("worker " + info.id() + "'s units");
        UnitThreads threads = UnitThreads.start(settings, runtime, unitFailures);
        // Durations (a revoke's deadline, backoffs, the checkpoint interval, stall detection) must not
        // follow the wall clock when NTP or an operator steps it.
        MonotonicClock clock = MonotonicClock.system(runtime.clock());
        MetricRegistry metrics = runtime.metrics();
        UnitMetrics.Board unitMetrics = new UnitMetrics.Board(metrics);
        StalledUnits stalls = new StalledUnits();
        try {
            FleetMember member = FleetMember.start(coordinator, info, discovery(bindings), store,
                    UnitWorks.factory(bindings, processors, threads.scheduler(), threads.lanes(), settings, clock,
                            unitMetrics, stalls, RandomGenerator.getDefault()));
            // One gauge per state, so that a FAILED unit can be alerted on: streamfleet_worker_units_failed.
            for (UnitState state : UnitState.values()) {
                metrics.gauge("streamfleet.worker.units." + state.name().toLowerCase(java.util.Locale.ROOT),
                        () -> () -> member.units().values().stream().filter(state::equals).count());
            }
            metrics.gauge("streamfleet.worker.units.stalled", () -> () -> stalls.snapshot().size());
            // Units whose reads or checkpoint writes fail now (a store or stream out of reach), with no unit stopped.
            metrics.gauge("streamfleet.worker.units.retrying", () -> () -> stalls.retryingSnapshot(clock.instant()).size());
            // Counters read from the coordinator, which counts them: alert on any increase.
            metrics.register("streamfleet.worker.task.failures", new ReadCounter(
                    () -> member.taskFailures().count() + unitFailures.count()));
            metrics.register("streamfleet.worker.zookeeper.skipped.nodes", new ReadCounter(member::skippedNodes));
            LoadReporter loads = LoadReporter.start(unitMetrics, member::publishLoads,
                    dev.streamfleet.worker.internal.load.LoadPublication.MIN_INTERVAL, unitFailures);
            return new StreamWorker(member, threads, metrics, unitMetrics, stalls, loads, clock);
        } catch (RuntimeException e) {
            threads.close();
            throw e;
        }
    }

    /** Every source's units, and each unit's first start from the source it belongs to. */
    private static UnitDiscovery discovery(List<SourceBinding> bindings) {
        return new UnitDiscovery() {
            @Override
            public List<UnitSpec> discover() {
                List<UnitSpec> units = new ArrayList<>();
                for (SourceBinding binding : bindings) {
                    units.addAll(binding.discovery().discover());
                }
                return units;
            }

            @Override
            public Optional<Position> firstStart(UnitId unit) {
                return bindings.stream().filter(b -> b.kind() == unit.kind() && b.stream().equals(unit.stream()))
                        .findFirst().flatMap(b -> b.discovery().firstStart(unit));
            }
        };
    }

    public WorkerId id() {
        return member.id();
    }

    public boolean isLeader() {
        return member.isLeader();
    }

    /** The units this worker handles and their states. */
    public Map<UnitId, UnitState> units() {
        return member.units();
    }

    /** This worker's totals, under {@code streamfleet.worker.*}. */
    public MetricRegistry metrics() {
        return metrics;
    }

    /** The metrics of every unit running on this worker now, FAILED ones included. */
    public Map<UnitId, UnitMetricsSnapshot> unitMetrics() {
        return unitMetrics.snapshots();
    }

    /** The fleet as ZooKeeper shows it now. */
    public dev.streamfleet.coordinator.internal.zk.FleetSnapshot fleet() {
        return member.snapshot();
    }

    /** The assignments this worker published while it led, newest last. */
    public List<dev.streamfleet.coordinator.RebalanceRecord> rebalances() {
        return member.rebalances();
    }

    /** The units that are READING but have processed nothing for too long while records wait, with why. */
    public Map<UnitId, String> stalled() {
        return stalls.snapshot();
    }

    /**
     * The units whose reads of their source or checkpoint writes fail now (they try again), or
     * whose checkpoint write has not returned for a while, with the last failure.
     */
    public Map<UnitId, String> retrying() {
        return stalls.retryingSnapshot(clock.instant());
    }

    /**
     * Units running here whose reads skipped records the stream no longer retained (retention, a
     * Kafka log start moved), each with how many reads did and why the last one did.
     */
    public Map<UnitId, String> retentionSkips() {
        return stalls.retentionSkipsSnapshot();
    }

    /** Each held unit's measured load (processor time plus the worker's cost per record, records and bytes per second). */
    public Map<UnitId, dev.streamfleet.coordinator.UnitLoad> loads() {
        return loads.loads();
    }

    /** Why each FAILED unit stopped. */
    public Map<UnitId, String> failures() {
        return member.failures();
    }

    /** How many of this worker's background tasks failed (each was logged at ERROR), and the last failure. */
    public TaskFailureSummary taskFailures() {
        TaskFailures coordination = member.taskFailures();
        TaskFailures units = threads.failures();
        return new TaskFailureSummary(coordination.count() + units.count(),
                TaskFailures.Failure.latest(coordination.last(), units.last()));
    }

    /** Where this worker's own background tasks report a failure. */
    public TaskFailures unitTaskFailures() {
        return threads.failures();
    }

    /** How many bad values of ZooKeeper nodes this worker found and skipped, each logged at WARN once. */
    public long skippedNodes() {
        return member.skippedNodes();
    }

    /**
     * @param count how many background tasks failed
     * @param last  the last failure, with when and on which thread
     */
    public record TaskFailureSummary(long count, Optional<TaskFailures.Failure> last) {
    }

    /** A Dropwizard counter whose count is read from elsewhere, so that Prometheus sees a counter. */
    private static final class ReadCounter extends com.codahale.metrics.Counter {
        private final java.util.function.LongSupplier count;

        ReadCounter(java.util.function.LongSupplier count) {
            this.count = count;
        }

        @Override
        public long getCount() {
            return count.getAsLong();
        }

        @Override
        public void inc(long n) {
            throw new UnsupportedOperationException("counted elsewhere");
        }

        @Override
        public void dec(long n) {
            throw new UnsupportedOperationException("counted elsewhere");
        }
    }

    /** Hands every unit over gracefully (final checkpoints), then leaves the fleet. */
    @Override
    public void close() {
        loads.close();
        member.close();
        threads.close();
    }
}
