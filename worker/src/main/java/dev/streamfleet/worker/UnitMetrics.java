package dev.streamfleet.worker;

import dev.streamfleet.core.UnitId;

import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;

/**
 * The metrics of one unit, registered under {@code streamfleet.unit.<unit id>.*}, and counted
 * into the worker's totals under {@code streamfleet.worker.*}: records and bytes per second,
 * millis behind latest or offset lag, fetch and checkpoint latency, processor retries and
 * errors. Removed from the registry when the unit stops on this worker.
 */
final class UnitMetrics {

    private static final long UNKNOWN = -1;

    private final MetricRegistry registry;
    private final String prefix;
    private final Meter records;
    private final Meter bytes;
    private final Meter workerRecords;
    private final Meter workerBytes;
    private final Timer fetch;
    private final Timer checkpoint;
    private final Counter retries;
    private final Counter errors;
    private final Counter workerErrors;
    private final AtomicLong millisBehind = new AtomicLong(UNKNOWN);
    private final AtomicLong offsetLag = new AtomicLong(UNKNOWN);

    UnitMetrics(MetricRegistry registry, UnitId unit) {
        this.registry = registry;
        this.prefix = MetricRegistry.name("streamfleet.unit", unit.toString());
        this.records = registry.meter(prefix + ".records");
        this.bytes = registry.meter(prefix + ".bytes");
        this.fetch = registry.timer(prefix + ".fetch");
        this.checkpoint = registry.timer(prefix + ".checkpoint");
        this.retries = registry.counter(prefix + ".processorRetries");
        this.errors = registry.counter(prefix + ".errors");
        this.workerRecords = registry.meter("streamfleet.worker.records");
        this.workerBytes = registry.meter("streamfleet.worker.bytes");
        this.workerErrors = registry.counter("streamfleet.worker.errors");
        registry.gauge(prefix + ".millisBehindLatest", () -> (Gauge<Long>) millisBehind::get);
        registry.gauge(prefix + ".offsetLag", () -> (Gauge<Long>) offsetLag::get);
    }

    static UnitMetrics unregistered(UnitId unit) {
        return new UnitMetrics(new MetricRegistry(), unit);
    }

    void processed(List<StreamRecord> batch) {
        long size = 0;
        for (StreamRecord record : batch) {
            size += record.data().length;
        }
        records.mark(batch.size());
        bytes.mark(size);
        workerRecords.mark(batch.size());
        workerBytes.mark(size);
    }

    void lag(OptionalLong behind, OptionalLong lag) {
        behind.ifPresent(millisBehind::set);
        lag.ifPresent(offsetLag::set);
    }

    void fetched(long nanos) {
        fetch.update(nanos, TimeUnit.NANOSECONDS);
    }

    void checkpointed(long nanos) {
        checkpoint.update(nanos, TimeUnit.NANOSECONDS);
    }

    void retried() {
        retries.inc();
    }

    void failed() {
        errors.inc();
        workerErrors.inc();
    }

    long recordCount() {
        return records.getCount();
    }

    /** Removes this unit's metrics; the worker totals stay. */
    void remove() {
        registry.removeMatching((name, metric) -> name.startsWith(prefix + "."));
    }
}
