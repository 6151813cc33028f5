package dev.streamfleet.worker.internal.status;

import dev.streamfleet.worker.UnitMetricsSnapshot;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * This worker's own throughput history, a point every {@link #INTERVAL}, kept on every worker so
 * that the leader's chart survives a change of leader: whoever leads merges the workers' histories
 * ({@link FleetHistory}). One thread samples; readers get the immutable list published after each
 * sample.
 */
final class OwnHistory {

    static final Duration INTERVAL = Duration.ofSeconds(5);

    /** Ten minutes of points. */
    static final int POINTS = 120;

    private final ArrayDeque<HistoryPoint> points = new ArrayDeque<>();
    private final AtomicReference<List<HistoryPoint>> published = new AtomicReference<>(List.of());
    private Instant lastAt;
    private long lastRecords;

    /**
     * Adds the point that ends now: the rate from the worker's record count since the last sample
     * (the first sample only sets the start), the largest Kinesis lag and the sum of Kafka lags
     * among the units now on the worker. Called by the sampling thread only.
     *
     * @param records the worker's records processed since it started
     */
    void sample(Instant now, long records, Collection<UnitMetricsSnapshot> units) {
        if (lastAt != null && now.isAfter(lastAt)) {
            double seconds = Duration.between(lastAt, now).toNanos() / 1e9;
            OptionalLong behind = units.stream().map(UnitMetricsSnapshot::millisBehindLatest)
                    .filter(OptionalLong::isPresent).mapToLong(OptionalLong::getAsLong).max();
            long[] lags = units.stream().map(UnitMetricsSnapshot::offsetLag).filter(OptionalLong::isPresent)
                    .mapToLong(OptionalLong::getAsLong).toArray();
            points.addLast(new HistoryPoint(now, Math.max(0, records - lastRecords) / seconds, behind,
                    lags.length == 0 ? OptionalLong.empty() : OptionalLong.of(java.util.Arrays.stream(lags).sum())));
            while (points.size() > POINTS) {
                points.removeFirst();
            }
            published.set(List.copyOf(points));
        }
        lastAt = now;
        lastRecords = records;
    }

    /** The points, oldest first; any thread. */
    List<HistoryPoint> points() {
        return published.get();
    }
}
