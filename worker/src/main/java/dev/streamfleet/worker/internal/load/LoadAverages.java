package dev.streamfleet.worker.internal.load;

import dev.streamfleet.coordinator.UnitLoad;
import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Each unit's load on this worker as a moving average over about a minute, from samples of its
 * counters. A unit's load is the share of a second its processor was busy with it, plus
 * {@link #COST_PER_RECORD} of the worker's own time per record (reading, decoding, dispatching,
 * checkpointing: about what BENCHMARKS.md measures for a no-op processor). Pure; one owner.
 */
public final class LoadAverages {

    /** The worker's own time per record, beside the processor's. */
    public static final Duration COST_PER_RECORD = Duration.ofNanos(10_000);
    static final Duration WINDOW = Duration.ofMinutes(1);

    private record Sample(UnitCounts counts, long atNanos) {
    }

    private final Map<UnitId, Sample> last = new HashMap<>();
    private final Map<UnitId, UnitLoad> averages = new HashMap<>();

    /**
     * Takes the counters of the units held now, at {@code atNanos}; returns the averages of those
     * sampled at least twice. A unit no longer held is forgotten; one whose counters went back
     * (it started here again) starts over.
     */
    public Map<UnitId, UnitLoad> sample(Map<UnitId, UnitCounts> held, long atNanos) {
        last.keySet().retainAll(held.keySet());
        averages.keySet().retainAll(held.keySet());
        held.forEach((unit, counts) -> {
            Sample previous = last.put(unit, new Sample(counts, atNanos));
            if (previous == null || counts.records() < previous.counts().records()
                    || counts.busy().compareTo(previous.counts().busy()) < 0 || atNanos <= previous.atNanos()) {
                averages.remove(unit);
                return;
            }
            double seconds = (atNanos - previous.atNanos()) / 1e9;
            double records = (counts.records() - previous.counts().records()) / seconds;
            double bytes = Math.max(0, counts.bytes() - previous.counts().bytes()) / seconds;
            double busy = counts.busy().minus(previous.counts().busy()).toNanos() / 1e9 / seconds;
            UnitLoad now = new UnitLoad(busy + records * COST_PER_RECORD.toNanos() / 1e9, records, bytes);
            UnitLoad before = averages.get(unit);
            if (before == null) {
                averages.put(unit, now);
                return;
            }
            double weight = 1 - Math.exp(-seconds / WINDOW.toSeconds());
            averages.put(unit, new UnitLoad(before.load() + weight * (now.load() - before.load()),
                    before.recordsPerSecond() + weight * (now.recordsPerSecond() - before.recordsPerSecond()),
                    before.bytesPerSecond() + weight * (now.bytesPerSecond() - before.bytesPerSecond())));
        });
        return Map.copyOf(averages);
    }
}
