package dev.streamfleet.worker.status;

import dev.streamfleet.worker.UnitMetricsSnapshot;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.function.Function;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;

/**
 * Writes a worker's metrics in the Prometheus text format. Worker totals
 * ({@code streamfleet.worker.<name>} in the registry) become {@code streamfleet_worker_<name>};
 * each unit's snapshot becomes {@code streamfleet_unit_<name>{unit="…"}} series. A lag that is
 * not known yet has no series.
 */
public final class PrometheusText {

    private PrometheusText() {
    }

    public static String render(MetricRegistry totals, Collection<UnitMetricsSnapshot> units) {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, Counter> e : totals.getCounters().entrySet()) {
            line(out, plain(e.getKey()) + "_total", e.getValue().getCount());
        }
        for (Map.Entry<String, Meter> e : totals.getMeters().entrySet()) {
            line(out, plain(e.getKey()) + "_total", e.getValue().getCount());
            line(out, plain(e.getKey()) + "_per_second", e.getValue().getOneMinuteRate());
        }
        @SuppressWarnings("rawtypes")
        SortedMap<String, Gauge> gauges = totals.getGauges();
        gauges.forEach((name, gauge) -> {
            if (gauge.getValue() instanceof Number number) {
                line(out, plain(name), number.doubleValue());
            }
        });
        for (UnitMetricsSnapshot unit : units) {
            String label = "{unit=\"" + unit.unit().toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";
            Function<String, String> series = name -> "streamfleet_unit_" + name + label;
            line(out, series.apply("records_total"), unit.records());
            line(out, series.apply("records_per_second"), unit.recordsPerSecond());
            line(out, series.apply("bytes_total"), unit.bytes());
            line(out, series.apply("bytes_per_second"), unit.bytesPerSecond());
            line(out, series.apply("processor_retries_total"), unit.processorRetries());
            line(out, series.apply("errors_total"), unit.errors());
            line(out, series.apply("dead_lettered_total"), unit.deadLettered());
            line(out, series.apply("busy_seconds_total"), unit.busy().toNanos() / 1e9);
            unit.millisBehindLatest().ifPresent(millis -> line(out, series.apply("millis_behind_latest"), millis));
            unit.offsetLag().ifPresent(lag -> line(out, series.apply("offset_lag"), lag));
            unit.lanes().ifPresent(lanes -> {
                line(out, series.apply("in_flight"), lanes.inFlight());
                line(out, series.apply("busy_lanes"), lanes.busyLanes());
                line(out, series.apply("finished_beyond_watermark"), lanes.finishedBeyondWatermark());
            });
            latency(out, series, "fetch", unit.fetch());
            latency(out, series, "checkpoint", unit.checkpoint());
        }
        return out.toString();
    }

    private static void latency(StringBuilder out, Function<String, String> series, String name,
                                UnitMetricsSnapshot.Latency latency) {
        line(out, series.apply(name + "_count"), latency.count());
        line(out, series.apply(name + "_p50_seconds"), latency.p50().toNanos() / 1e9);
        line(out, series.apply(name + "_p99_seconds"), latency.p99().toNanos() / 1e9);
    }

    private static String plain(String dropwizardName) {
        return dropwizardName.replaceAll("[^A-Za-z0-9_]", "_")
                .replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    private static void line(StringBuilder out, String series, double value) {
        out.append(series).append(' ');
        if (value == Math.rint(value) && !Double.isInfinite(value)) {
            out.append((long) value);
        } else {
            out.append(value);
        }
        out.append('\n');
    }
}
