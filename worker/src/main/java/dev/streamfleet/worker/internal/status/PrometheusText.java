package dev.streamfleet.worker.internal.status;

import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.UnitMetricsSnapshot;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Quantile;
import io.prometheus.metrics.model.snapshots.Quantiles;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import io.prometheus.metrics.model.snapshots.SummarySnapshot.SummaryDataPointSnapshot;

/**
 * A worker's metrics in the Prometheus text format (version 0.0.4), written by the Prometheus client
 * library's own writer: {@code # HELP} and {@code # TYPE} for every family, counters as counters, latencies
 * as summaries with {@code quantile} labels, {@code _sum} and {@code _count}, and the JVM's metrics
 * ({@code jvm_*}, {@code process_*}).
 *
 * <p>Worker totals ({@code streamfleet.worker.<name>} in the Dropwizard registry, which stays the registry
 * the worker counts into) become {@code streamfleet_worker_<name>}; each unit's snapshot becomes
 * {@code streamfleet_unit_<name>} series labelled {@code source}, {@code stream} and {@code unit}. A value
 * that is not known (a lag before the first read, the quantiles of a latency never observed) has no series,
 * never a sentinel.
 */
public final class PrometheusText {

    private static final PrometheusTextFormatWriter WRITER = PrometheusTextFormatWriter.create();
    private static final Map<String, String> HELP = Map.ofEntries(
            Map.entry("streamfleet_worker_records", "Records processed by this worker."),
            Map.entry("streamfleet_worker_bytes", "Bytes of record data processed by this worker."),
            Map.entry("streamfleet_worker_errors", "Processor failures on this worker; each one stops its unit."),
            Map.entry("streamfleet_worker_retention_skips", "Reads of this worker's units that skipped records because"
                    + " the stream no longer retains where they resumed (a Kinesis retention trim, a Kafka log start moved"
                    + " by retention or DeleteRecords); each is logged at ERROR with the positions."),
            Map.entry("streamfleet_worker_units_stalled", "Units on this worker that have made no progress for"
                    + " processing.stallAfter."),
            Map.entry("streamfleet_worker_units_retrying", "Units on this worker whose reads or checkpoint writes fail"
                    + " now, or whose checkpoint write has not been answered for 2 s; each is on /health with its reason."),
            Map.entry("streamfleet_worker_task_failures", "Background tasks of this worker that threw; each is logged at"
                    + " ERROR and the last one is on /health."),
            Map.entry("streamfleet_worker_zookeeper_skipped_nodes", "Bad values of ZooKeeper nodes this worker skipped"
                    + " because it cannot read them (another version's, a tool's or an operator's); each is logged at WARN."),
            Map.entry("streamfleet_unit_records", "Records of the unit processed since it started on this worker."),
            Map.entry("streamfleet_unit_bytes", "Bytes of record data of the unit processed since it started on this worker."),
            Map.entry("streamfleet_unit_processor_retries", "Batches of the unit the processor was asked to retry."),
            Map.entry("streamfleet_unit_errors", "Processor failures of the unit; a failure stops the unit."),
            Map.entry("streamfleet_unit_dead_lettered", "Records of the unit sent to the dead-letter destination."),
            Map.entry("streamfleet_unit_busy_seconds", "Time the processor spent on the unit's batches."),
            Map.entry("streamfleet_unit_kpl_dropped_outside_range", "User records of KPL aggregates dropped because"
                    + " their hash keys lie outside the shard's range (another shard's since a reshard)."),
            Map.entry("streamfleet_unit_behind_latest_seconds", "How far the unit's last read was behind the tip of"
                    + " its Kinesis shard."),
            Map.entry("streamfleet_unit_offset_lag", "Records between the unit's position and the end of its Kafka partition."),
            Map.entry("streamfleet_unit_in_flight", "Records of the unit read and not finished yet (parallelism above 1)."),
            Map.entry("streamfleet_unit_busy_lanes", "Keys of the unit with a batch at the processor now (parallelism above 1)."),
            Map.entry("streamfleet_unit_finished_beyond_watermark", "Records of the unit finished after its watermark"
                    + " (parallelism above 1)."),
            Map.entry("streamfleet_unit_fetch_seconds", "Latency of the unit's reads, over about the last five minutes."),
            Map.entry("streamfleet_unit_checkpoint_seconds", "Latency of the unit's checkpoint writes, over about the"
                    + " last five minutes."));

    private final PrometheusRegistry jvm;

    private PrometheusText(PrometheusRegistry jvm) {
        this.jvm = jvm;
    }

    /** With the JVM's metrics: memory, threads, garbage collection, classes, process CPU and open files. */
    public static PrometheusText withJvmMetrics() {
        PrometheusRegistry registry = new PrometheusRegistry();
        JvmMetrics.builder().register(registry);
        return new PrometheusText(registry);
    }

    /** Only streamfleet's own metrics. */
    public static PrometheusText withoutJvmMetrics() {
        return new PrometheusText(new PrometheusRegistry());
    }

    public String contentType() {
        return WRITER.getContentType();
    }

    public byte[] render(MetricRegistry totals, Collection<UnitMetricsSnapshot> units) {
        List<MetricSnapshot> all = new ArrayList<>(snapshots(totals, units));
        jvm.scrape().forEach(all::add);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            WRITER.write(out, new MetricSnapshots(all));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** streamfleet's own metric families, without the JVM's. */
    static List<MetricSnapshot> snapshots(MetricRegistry totals, Collection<UnitMetricsSnapshot> units) {
        Families families = new Families();
        for (Map.Entry<String, Counter> e : totals.getCounters().entrySet()) {
            families.counter(plain(e.getKey()), Labels.EMPTY, e.getValue().getCount());
        }
        for (Map.Entry<String, Meter> e : totals.getMeters().entrySet()) {
            families.counter(plain(e.getKey()), Labels.EMPTY, e.getValue().getCount());
        }
        @SuppressWarnings("rawtypes")
        Map<String, Gauge> gauges = totals.getGauges();
        gauges.forEach((name, gauge) -> {
            if (gauge.getValue() instanceof Number number) {
                families.gauge(plain(name), Labels.EMPTY, number.doubleValue());
            }
        });
        for (UnitMetricsSnapshot unit : units) {
            Labels labels = labels(unit.unit());
            Function<String, String> name = metric -> "streamfleet_unit_" + metric;
            families.counter(name.apply("records"), labels, unit.records());
            families.counter(name.apply("bytes"), labels, unit.bytes());
            families.counter(name.apply("processor_retries"), labels, unit.processorRetries());
            families.counter(name.apply("errors"), labels, unit.errors());
            families.counter(name.apply("dead_lettered"), labels, unit.deadLettered());
            families.counter(name.apply("busy_seconds"), labels, unit.busy().toNanos() / 1e9);
            if (unit.unit().kind() == dev.streamfleet.core.SourceKind.KINESIS) {
                families.counter(name.apply("kpl_dropped_outside_range"), labels, unit.droppedOutsideRange());
            }
            unit.millisBehindLatest().ifPresent(millis -> families.gauge(name.apply("behind_latest_seconds"), labels,
                    millis / 1e3));
            unit.offsetLag().ifPresent(lag -> families.gauge(name.apply("offset_lag"), labels, lag));
            unit.lanes().ifPresent(lanes -> {
                families.gauge(name.apply("in_flight"), labels, lanes.inFlight());
                families.gauge(name.apply("busy_lanes"), labels, lanes.busyLanes());
                families.gauge(name.apply("finished_beyond_watermark"), labels, lanes.finishedBeyondWatermark());
            });
            families.summary(name.apply("fetch_seconds"), labels, unit.fetch());
            families.summary(name.apply("checkpoint_seconds"), labels, unit.checkpoint());
        }
        return families.build();
    }

    private static Labels labels(UnitId unit) {
        return Labels.of("source", unit.kind().id(), "stream", unit.stream(), "unit", unit.shard());
    }

    /** {@code streamfleet.worker.units.failed} becomes {@code streamfleet_worker_units_failed}. */
    private static String plain(String dropwizardName) {
        return dropwizardName.replaceAll("[^A-Za-z0-9_]", "_")
                .replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    private static String help(String name) {
        if (HELP.containsKey(name)) {
            return HELP.get(name);
        }
        if (name.startsWith("streamfleet_worker_units_")) {
            return "Units on this worker in state " + name.substring("streamfleet_worker_units_".length()).toUpperCase(
                    Locale.ROOT) + ".";
        }
        return name.replace('_', ' ') + ".";
    }

    /** Data points gathered by family, in the order families first appear. */
    private static final class Families {
        private final Map<String, CounterSnapshot.Builder> counters = new LinkedHashMap<>();
        private final Map<String, GaugeSnapshot.Builder> gauges = new LinkedHashMap<>();
        private final Map<String, SummarySnapshot.Builder> summaries = new LinkedHashMap<>();

        void counter(String name, Labels labels, double value) {
            counters.computeIfAbsent(name, n -> CounterSnapshot.builder().name(n).help(help(n)))
                    .dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(value).build());
        }

        void gauge(String name, Labels labels, double value) {
            gauges.computeIfAbsent(name, n -> GaugeSnapshot.builder().name(n).help(help(n)))
                    .dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(value).build());
        }

        void summary(String name, Labels labels, UnitMetricsSnapshot.Latency latency) {
            summaries.computeIfAbsent(name, n -> SummarySnapshot.builder().name(n).help(help(n)))
                    .dataPoint(SummaryDataPointSnapshot.builder().labels(labels).count(latency.count())
                            .sum(latency.sum().toNanos() / 1e9)
                            .quantiles(latency.count() == 0 ? Quantiles.EMPTY
                                    : Quantiles.of(new Quantile(0.5, latency.p50().toNanos() / 1e9),
                                            new Quantile(0.99, latency.p99().toNanos() / 1e9)))
                            .build());
        }

        List<MetricSnapshot> build() {
            List<MetricSnapshot> all = new ArrayList<>();
            counters.values().forEach(builder -> all.add(builder.build()));
            gauges.values().forEach(builder -> all.add(builder.build()));
            summaries.values().forEach(builder -> all.add(builder.build()));
            return all;
        }
    }
}
