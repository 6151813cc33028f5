package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.StreamRecord;
import dev.streamfleet.worker.UnitMetricsSnapshot;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Snapshot;
import com.codahale.metrics.Timer;

/**
 * The metrics of one unit on this worker, read through {@link #snapshot()}, and counted into the
 * worker's totals under {@code streamfleet.worker.*}: records and bytes per second, millis
 * behind latest or offset lag, fetch and checkpoint latency, processor retries and errors. A
 * unit's metrics live in its worker's {@link Board} from its start until it stops on this worker;
 * a FAILED unit keeps them.
 */
final class UnitMetrics {

    private static final long UNKNOWN = -1;

    private final UnitId unit;
    private final Board board;
    private final Meter records = new Meter();
    private final Meter bytes = new Meter();
    private final Timer fetch = new Timer();
    private final Timer checkpoint = new Timer();
    private final Counter fetchNanos = new Counter();
    private final Counter checkpointNanos = new Counter();
    private final Counter retries = new Counter();
    private final Counter errors = new Counter();
    private final Counter deadLettered = new Counter();
    private final Counter busyNanos = new Counter();
    private final Counter droppedOutsideRange = new Counter();
    private final AtomicLong millisBehind = new AtomicLong(UNKNOWN);
    private final AtomicLong offsetLag = new AtomicLong(UNKNOWN);
    private final AtomicReference<Optional<UnitMetricsSnapshot.Lanes>> lanes = new AtomicReference<>(Optional.empty());

    /** Every live unit's metrics on one worker, with the worker's totals. Thread-safe. */
    static final class Board {
        private final Map<UnitId, UnitMetrics> live = new ConcurrentHashMap<>();
        private final Meter workerRecords;
        private final Meter workerBytes;
        private final Counter workerErrors;
        private final Counter workerRetentionSkips;

        Board(MetricRegistry totals) {
            this.workerRecords = totals.meter("streamfleet.worker.records");
            this.workerBytes = totals.meter("streamfleet.worker.bytes");
            this.workerErrors = totals.counter("streamfleet.worker.errors");
            this.workerRetentionSkips = totals.counter("streamfleet.worker.retention.skips");
        }

        /** The metrics of a unit starting on this worker; they replace any earlier ones of the unit. */
        UnitMetrics open(UnitId unit) {
            UnitMetrics metrics = new UnitMetrics(unit, this);
            live.put(unit, metrics);
            return metrics;
        }

        /** Every live unit's metrics now. */
        Map<UnitId, UnitMetricsSnapshot> snapshots() {
            Map<UnitId, UnitMetricsSnapshot> snapshots = new java.util.TreeMap<>();
            live.forEach((unit, metrics) -> snapshots.put(unit, metrics.snapshot()));
            return snapshots;
        }
    }

    private UnitMetrics(UnitId unit, Board board) {
        this.unit = unit;
        this.board = board;
    }

    /** Metrics for a unit outside any worker (tests of one unit). */
    static UnitMetrics unregistered(UnitId unit) {
        return new Board(new MetricRegistry()).open(unit);
    }

    void processed(List<StreamRecord> batch) {
        long size = 0;
        for (StreamRecord record : batch) {
            size += record.data().length;
        }
        records.mark(batch.size());
        bytes.mark(size);
        board.workerRecords.mark(batch.size());
        board.workerBytes.mark(size);
    }

    void lag(OptionalLong behind, OptionalLong lag) {
        behind.ifPresent(millisBehind::set);
        lag.ifPresent(offsetLag::set);
    }

    /** The unit's lanes now, at parallelism above 1. */
    void lanes(UnitMetricsSnapshot.Lanes now) {
        lanes.set(Optional.of(now));
    }

    /** The processor spent this long on a batch (or a run of lane batches), whatever the outcome. */
    void busy(long nanos) {
        busyNanos.inc(nanos);
    }

    void fetched(long nanos) {
        fetch.update(nanos, TimeUnit.NANOSECONDS);
        fetchNanos.inc(nanos);
    }

    void checkpointed(long nanos) {
        checkpoint.update(nanos, TimeUnit.NANOSECONDS);
        checkpointNanos.inc(nanos);
    }

    void droppedOutsideRange(long records) {
        droppedOutsideRange.inc(records);
    }

    /** A read skipped records that the stream no longer retains. */
    void notRetained() {
        board.workerRetentionSkips.inc();
    }

    void deadLettered() {
        deadLettered.inc();
    }

    void retried() {
        retries.inc();
    }

    void failed() {
        errors.inc();
        board.workerErrors.inc();
    }

    UnitMetricsSnapshot snapshot() {
        return new UnitMetricsSnapshot(unit, records.getCount(), records.getOneMinuteRate(), bytes.getCount(),
                bytes.getOneMinuteRate(), known(millisBehind.get()), known(offsetLag.get()), retries.getCount(),
                errors.getCount(), deadLettered.getCount(), latency(fetch, fetchNanos), latency(checkpoint, checkpointNanos), lanes.get(),
                Duration.ofNanos(busyNanos.getCount()), droppedOutsideRange.getCount());
    }

    /** The unit stopped on this worker: its metrics go; the worker totals stay. */
    void remove() {
        board.live.remove(unit, this);
    }

    private static OptionalLong known(long value) {
        return value == UNKNOWN ? OptionalLong.empty() : OptionalLong.of(value);
    }

    private static UnitMetricsSnapshot.Latency latency(Timer timer, Counter nanos) {
        Snapshot snapshot = timer.getSnapshot();
        return new UnitMetricsSnapshot.Latency(timer.getCount(), Duration.ofNanos(nanos.getCount()),
                Duration.ofNanos((long) snapshot.getMedian()),
                Duration.ofNanos((long) snapshot.get99thPercentile()));
    }
}
