package dev.streamfleet.worker;

import dev.streamfleet.core.PublicApi;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;

import com.codahale.metrics.MetricRegistry;

/**
 * What a worker runs on: the pool its units run on, its clock and the registry it counts into.
 * By default the worker makes its own pool ({@code processing.threads} threads, shut down when it
 * closes), uses the system clock and a registry of its own. Either way the units' timers (their
 * next steps, the STALLED watchdog, the stuck handler) fire on a thread of the worker's own, so that
 * they fire even when processors that never return hold every thread of the pool.
 *
 * @param unitPool an application's pool to run the units' messages (and so their processors) on; the worker
 *                 schedules nothing on it, and it stays the application's: the worker never shuts it down
 * @param clock    the wall clock: the checkpoint table's timestamps and a LATEST first start's. The units
 *                 measure durations (the checkpoint interval, retry backoffs, a revoke's deadline, stall
 *                 detection) on {@link System#nanoTime()}, counted from this clock's time at the start,
 *                 so that a step of the wall clock (NTP, an operator) neither shortens nor lengthens them
 * @param metrics  where the worker's totals go, under {@code streamfleet.worker.*}
 */
@PublicApi
public record WorkerRuntime(Optional<ScheduledExecutorService> unitPool, Clock clock, MetricRegistry metrics) {

    public WorkerRuntime {
        Objects.requireNonNull(unitPool, "unitPool");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(metrics, "metrics");
    }

    /** An own pool, the system clock, a new registry. */
    public static WorkerRuntime defaults() {
        return new WorkerRuntime(Optional.empty(), Clock.systemUTC(), new MetricRegistry());
    }

    public WorkerRuntime withUnitPool(ScheduledExecutorService pool) {
        return new WorkerRuntime(Optional.of(pool), clock, metrics);
    }

    public WorkerRuntime withClock(Clock clock) {
        return new WorkerRuntime(unitPool, clock, metrics);
    }

    public WorkerRuntime withMetrics(MetricRegistry metrics) {
        return new WorkerRuntime(unitPool, clock, metrics);
    }
}
