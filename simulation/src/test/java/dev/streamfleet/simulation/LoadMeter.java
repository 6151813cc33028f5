package dev.streamfleet.simulation;

import dev.streamfleet.coordinator.UnitLoad;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.internal.load.LoadAverages;
import dev.streamfleet.worker.internal.load.LoadPublication;
import dev.streamfleet.worker.internal.load.UnitCounts;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * One worker's measurement of its units' loads, as production's {@code LoadReporter} does it: every
 * {@link LoadPublication#MIN_INTERVAL} it samples the counters of the units it runs (records, bytes
 * and the processor's busy time, counted by each processor instance from its start), averages them
 * with the production {@link LoadAverages} and, when the production {@link LoadPublication} says so,
 * writes them to its ephemeral loads node through its ZooKeeper session. Only the clock is the
 * simulation's.
 */
final class LoadMeter {

    /** What one processor instance did since it started: counters that only grow. */
    static final class Counts {
        long records;
        long bytes;
        long busyNanos;
    }

    private final SimWorker worker;
    private final LoadAverages averages = new LoadAverages();
    private final LoadPublication publication = new LoadPublication();
    /** Each unit's counters on this worker, from its latest start here, with the instance that counts them. */
    private final Map<UnitId, Probe> live = new HashMap<>();

    LoadMeter(SimWorker worker) {
        this.worker = worker;
    }

    void start() {
        worker.host.timer(LoadPublication.MIN_INTERVAL, this::sample);
    }

    /** A unit starts on this worker: its counters replace any earlier ones, as production's metrics board does. */
    void started(Probe probe) {
        live.put(probe.unit, probe);
    }

    private void sample() {
        worker.host.timer(LoadPublication.MIN_INTERVAL, this::sample);
        Map<UnitId, UnitCounts> held = new TreeMap<>();
        live.values().removeIf(probe -> probe.ending != null);
        live.forEach((unit, probe) -> held.put(unit, new UnitCounts(probe.counts.records, probe.counts.bytes,
                Duration.ofNanos(probe.counts.busyNanos))));
        long now = worker.loop.nanos();
        Map<UnitId, UnitLoad> loads = averages.sample(held, now);
        // Only a full picture goes out: a unit just started here has no average yet.
        if (loads.keySet().equals(held.keySet()) && publication.due(loads, now)) {
            Map<UnitId, UnitLoad> written = new TreeMap<>(loads);
            worker.fleet.measures.loadPublications++;
            worker.client.request("publish loads", session -> {
                worker.fleet.zk.publishLoads(worker.id, session, written);
                return written;
            }).whenComplete((done, failure) -> {
                if (failure != null) {
                    publication.failed();
                } else {
                    worker.loop.trace.add(worker.loop.now(), worker.id.value(), "published loads " + describe(written));
                }
            });
        }
    }

    private static String describe(Map<UnitId, UnitLoad> loads) {
        StringBuilder out = new StringBuilder("{");
        loads.forEach((unit, load) -> out.append(out.length() > 1 ? ", " : "").append(unit).append('=')
                .append(String.format("%.3f", load.load())));
        return out.append('}').toString();
    }
}
