package dev.streamfleet.worker.embed;

import dev.streamfleet.core.PublicApi;
import dev.streamfleet.coordinator.UnitState;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.UnitMetricsSnapshot;
import dev.streamfleet.worker.internal.runtime.StreamWorker;
import dev.streamfleet.worker.internal.status.WorkerStatusServer;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.jmx.JmxReporter;

/**
 * A running worker inside an application, from {@link Streamfleet#worker()}: what it holds and
 * how it is doing, and its graceful stop. Thread-safe.
 */
@PublicApi
public final class EmbeddedWorker implements AutoCloseable {

    private final String application;
    private final WorkerAssembly assembly;
    private final WorkerStatusServer status;
    private final JmxReporter jmx;
    private final StreamWorker worker;
    private final AtomicReference<CompletableFuture<Void>> shutdown = new AtomicReference<>();

    EmbeddedWorker(String application, WorkerAssembly assembly, WorkerStatusServer status, JmxReporter jmx) {
        this.application = application;
        this.assembly = assembly;
        this.status = status;
        this.jmx = jmx;
        this.worker = assembly.worker();
    }

    /** The fleet this worker belongs to. */
    public String application() {
        return application;
    }

    public WorkerId id() {
        return worker.id();
    }

    /** Whether this worker leads the fleet now (assigns the units, serves the page). */
    public boolean isLeader() {
        return worker.isLeader();
    }

    /** The units this worker holds now, and their states. */
    public Map<UnitId, UnitState> units() {
        return worker.units();
    }

    /** Why each FAILED unit stopped. */
    public Map<UnitId, String> failures() {
        return worker.failures();
    }

    /** The units that are READING but have processed nothing for too long while records wait, with why. */
    public Map<UnitId, String> stalled() {
        return worker.stalled();
    }

    /**
     * The units whose reads of their source or checkpoint writes fail now (they try again), or whose
     * checkpoint write has not returned for 2 s, with the last failure.
     */
    public Map<UnitId, String> retrying() {
        return worker.retrying();
    }

    /**
     * The units running here whose reads skipped records the stream no longer retained (retention, a
     * Kafka log start moved), with how many reads did and why the last did.
     */
    public Map<UnitId, String> retentionSkips() {
        return worker.retentionSkips();
    }

    /** Every unit's figures now: records, rates, lag, latencies. */
    public Map<UnitId, UnitMetricsSnapshot> unitMetrics() {
        return worker.unitMetrics();
    }

    /** The worker's totals, under {@code streamfleet.worker.*}: the registry given to the builder, or its own. */
    public MetricRegistry metrics() {
        return worker.metrics();
    }

    /** Where its status endpoints answer, such as {@code http://127.0.0.1:41234}; empty when they are off. */
    public Optional<String> statusUrl() {
        return status == null ? Optional.empty() : Optional.of(status.url());
    }

    /**
     * Hands every unit over (final checkpoints, leases released; up to {@code processing.drainTimeout}
     * per unit), leaves the fleet and closes what the worker opened. Runs on a thread of its own;
     * calling it again returns the same future.
     */
    public CompletableFuture<Void> shutdownGracefully() {
        CompletableFuture<Void> stopping = new CompletableFuture<>();
        if (!shutdown.compareAndSet(null, stopping)) {
            return shutdown.get();
        }
        Thread thread = new Thread(() -> {
            try {
                stop();
                stopping.complete(null);
            } catch (RuntimeException | Error e) {
                stopping.completeExceptionally(e);
            }
        }, "streamfleet-shutdown-" + worker.id().value());
        thread.start();
        return stopping;
    }

    private void stop() {
        if (jmx != null) {
            jmx.close();
        }
        try {
            assembly.close();
        } finally {
            if (status != null) {
                status.close();
            }
        }
    }

    /** {@link #shutdownGracefully()}, waiting for it. */
    @Override
    public void close() {
        shutdownGracefully().join();
    }
}
