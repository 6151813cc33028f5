package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.coordinator.Scheduler;
import dev.streamfleet.coordinator.UnitWorkFactory;
import dev.streamfleet.core.MonotonicClock;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.RecordProcessorFactory;
import dev.streamfleet.worker.RecordSource;
import dev.streamfleet.worker.SourceBinding;

import java.util.List;
import java.util.concurrent.Executor;
import java.util.random.RandomGenerator;

import com.codahale.metrics.MetricRegistry;

/**
 * How a worker turns a claimed unit into running work: it opens the unit's source where the
 * claim says and starts the unit's runtime on the worker's threads. A worker process builds one
 * from its threads; a simulation of the fleet builds one from simulated threads, clock and
 * randomness, and so runs the same unit runtime.
 */
public final class UnitWorks {

    private UnitWorks() {
    }

    /**
     * @param scheduler where the units' steps and timers run
     * @param lanes     where the batches of units above parallelism 1 run
     * @param metrics   where the per-unit metrics are registered
     * @param stalls    where units report that they stalled or that their reads fail
     * @param random    the jitter of retries
     */
    public static UnitWorkFactory factory(List<SourceBinding> bindings, RecordProcessorFactory processors,
                                          Scheduler scheduler, Executor lanes, WorkerSettings settings, MonotonicClock clock,
                                          MetricRegistry metrics, StalledUnits stalls, RandomGenerator random) {
        return factory(bindings, processors, scheduler, lanes, settings, clock, new UnitMetrics.Board(metrics), stalls,
                random);
    }

    static UnitWorkFactory factory(List<SourceBinding> bindings, RecordProcessorFactory processors, Scheduler scheduler,
                                   Executor lanes, WorkerSettings settings, MonotonicClock clock, UnitMetrics.Board metrics,
                                   StalledUnits stalls, RandomGenerator random) {
        return context -> {
            UnitId unit = context.unit();
            SourceBinding binding = bindings.stream()
                    .filter(b -> b.kind() == unit.kind() && b.stream().equals(unit.stream()))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("no configured source reads " + unit));
            RecordSource source = binding.sources().open(unit, context.claimed().position());
            return UnitRunner.start(context, source, processors, scheduler, lanes, settings, clock, metrics.open(unit),
                    stalls, random);
        };
    }
}
