package dev.streamfleet.worker.status;

import java.util.Map;
import java.util.SortedMap;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Snapshot;
import com.codahale.metrics.Timer;

/**
 * Writes a Dropwizard registry in the Prometheus text format. Per-unit metrics
 * ({@code streamfleet.unit.<unit id>.<name>}) become {@code streamfleet_unit_<name>{unit="…"}};
 * worker totals ({@code streamfleet.worker.<name>}) become {@code streamfleet_worker_<name>}.
 */
public final class PrometheusText {

    private static final String UNIT_PREFIX = "streamfleet.unit.";

    private PrometheusText() {
    }

    public static String render(MetricRegistry registry) {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, Counter> e : registry.getCounters().entrySet()) {
            line(out, e.getKey(), "_total", e.getValue().getCount());
        }
        for (Map.Entry<String, Meter> e : registry.getMeters().entrySet()) {
            line(out, e.getKey(), "_total", e.getValue().getCount());
            line(out, e.getKey(), "_per_second", e.getValue().getOneMinuteRate());
        }
        for (Map.Entry<String, Timer> e : registry.getTimers().entrySet()) {
            Snapshot snapshot = e.getValue().getSnapshot();
            line(out, e.getKey(), "_count", e.getValue().getCount());
            line(out, e.getKey(), "_p50_seconds", snapshot.getMedian() / 1e9);
            line(out, e.getKey(), "_p99_seconds", snapshot.get99thPercentile() / 1e9);
        }
        @SuppressWarnings("rawtypes")
        SortedMap<String, Gauge> gauges = registry.getGauges();
        for (Map.Entry<String, Gauge<?>> e : castGauges(gauges).entrySet()) {
            Object value = e.getValue().getValue();
            if (value instanceof Number number) {
                line(out, e.getKey(), "", number.doubleValue());
            }
        }
        return out.toString();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static SortedMap<String, Gauge<?>> castGauges(SortedMap<String, Gauge> gauges) {
        return (SortedMap) gauges;
    }

    private static void line(StringBuilder out, String dropwizardName, String suffix, double value) {
        String name;
        String labels = "";
        if (dropwizardName.startsWith(UNIT_PREFIX)) {
            String rest = dropwizardName.substring(UNIT_PREFIX.length());
            int lastDot = rest.lastIndexOf('.');
            name = "streamfleet_unit_" + snake(rest.substring(lastDot + 1));
            labels = "{unit=\"" + rest.substring(0, lastDot).replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";
        } else {
            name = dropwizardName.replaceAll("[^A-Za-z0-9_]", "_");
            name = snake(name);
        }
        out.append(name).append(suffix).append(labels).append(' ');
        if (value == Math.rint(value) && !Double.isInfinite(value)) {
            out.append((long) value);
        } else {
            out.append(value);
        }
        out.append('\n');
    }

    private static String snake(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }
}
