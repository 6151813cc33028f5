package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.coordinator.CoordinatorException;
import dev.streamfleet.coordinator.TaskFailures;
import dev.streamfleet.coordinator.UnitLoad;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.internal.load.LoadAverages;
import dev.streamfleet.worker.internal.load.LoadPublication;
import dev.streamfleet.worker.internal.load.UnitCounts;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures the load of every unit this worker holds and tells the leader when it changed: every
 * {@link LoadPublication#MIN_INTERVAL} it samples the units' counters, averages them and, when the
 * publication rule says so, publishes them. Its own thread owns the averages and the rule; the
 * latest averages are readable from any thread.
 */
final class LoadReporter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LoadReporter.class);

    private final ScheduledExecutorService thread;
    private final UnitMetrics.Board board;
    private final Consumer<Map<UnitId, UnitLoad>> publish;
    private final LoadAverages averages = new LoadAverages();
    private final LoadPublication publication = new LoadPublication();
    private final AtomicReference<Map<UnitId, UnitLoad>> latest = new AtomicReference<>(Map.of());

    private LoadReporter(UnitMetrics.Board board, Consumer<Map<UnitId, UnitLoad>> publish) {
        this.board = board;
        this.publish = publish;
        this.thread = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread named = new Thread(runnable, "streamfleet-loads");
            named.setDaemon(true);
            return named;
        });
    }

    /** Starts sampling every {@code every}. */
    static LoadReporter start(UnitMetrics.Board board, Consumer<Map<UnitId, UnitLoad>> publish, Duration every,
                              TaskFailures failures) {
        LoadReporter reporter = new LoadReporter(board, publish);
        // Guarded: what sampleSafely does not expect (an Error) is reported, and the next sample still runs.
        reporter.thread.scheduleWithFixedDelay(failures.guard(reporter::sampleSafely), every.toMillis(), every.toMillis(),
                TimeUnit.MILLISECONDS);
        return reporter;
    }

    private void sampleSafely() {
        try {
            sample();
        } catch (RuntimeException e) {
            // A failed sample must not end the sampling: the next one starts from the counters again.
            LOG.warn("measuring the units' loads failed: {}", e.toString());
        }
    }

    private void sample() {
        Map<UnitId, UnitCounts> held = new HashMap<>();
        board.snapshots().forEach((unit, snapshot) ->
                held.put(unit, new UnitCounts(snapshot.records(), snapshot.bytes(), snapshot.busy())));
        long now = System.nanoTime();
        Map<UnitId, UnitLoad> loads = averages.sample(held, now);
        latest.set(loads);
        // Only a full picture goes out: a unit just started here has no average yet.
        if (loads.keySet().equals(held.keySet()) && publication.due(loads, now)) {
            try {
                publish.accept(loads);
            } catch (CoordinatorException e) {
                LOG.warn("could not tell the leader this worker's loads, will try again: {}", e.getMessage());
                publication.failed();
            }
        }
    }

    /** Each held unit's load as last measured; a unit started here in the last two samples has none yet. */
    Map<UnitId, UnitLoad> loads() {
        return latest.get();
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
