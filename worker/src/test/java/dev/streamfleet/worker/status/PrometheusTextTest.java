package dev.streamfleet.worker.status;

import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.UnitMetricsSnapshot;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import com.codahale.metrics.MetricRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PrometheusTextTest {

    private static final UnitMetricsSnapshot.Latency NONE = new UnitMetricsSnapshot.Latency(0, Duration.ZERO, Duration.ZERO);

    private static UnitMetricsSnapshot unit(UnitId unit, long records, OptionalLong lag) {
        return new UnitMetricsSnapshot(unit, records, 0, records * 10, 0, OptionalLong.empty(), lag, 2, 0, 1,
                new UnitMetricsSnapshot.Latency(3, Duration.ofMillis(5), Duration.ofMillis(20)), NONE,
                records > 5 ? Optional.of(new UnitMetricsSnapshot.Lanes(40, 16, 7)) : Optional.empty(),
                Duration.ofMillis(records * 100));
    }

    @Test
    void unitMetricsBecomeLabelledSeriesAndWorkerTotalsPlainOnes() {
        MetricRegistry totals = new MetricRegistry();
        totals.meter("streamfleet.worker.records").mark(9);
        totals.gauge("streamfleet.worker.units.failed", () -> () -> 1L);

        String text = PrometheusText.render(totals, List.of(
                unit(UnitId.kinesis("orders.v2", "shardId-000000000001"), 7, OptionalLong.empty()),
                unit(UnitId.kafka("payments", 3), 1, OptionalLong.of(42))));

        assertThat(text).contains("streamfleet_unit_records_total{unit=\"kinesis/orders.v2/shardId-000000000001\"} 7\n")
                .contains("streamfleet_unit_processor_retries_total{unit=\"kafka/payments/3\"} 2\n")
                .contains("streamfleet_unit_fetch_p99_seconds{unit=\"kafka/payments/3\"} 0.02\n")
                .contains("streamfleet_worker_records_total 9\n")
                .contains("streamfleet_unit_dead_lettered_total{unit=\"kafka/payments/3\"} 1\n")
                .contains("streamfleet_unit_busy_seconds_total{unit=\"kafka/payments/3\"} 0.1\n")
                .contains("streamfleet_worker_units_failed 1\n")
                .contains("streamfleet_unit_offset_lag{unit=\"kafka/payments/3\"} 42\n")
                .contains("streamfleet_unit_in_flight{unit=\"kinesis/orders.v2/shardId-000000000001\"} 40\n")
                .contains("streamfleet_unit_busy_lanes{unit=\"kinesis/orders.v2/shardId-000000000001\"} 16\n")
                .doesNotContain("streamfleet_unit_in_flight{unit=\"kafka/payments/3\"}");
    }

    @Test
    void aLagNotKnownYetHasNoSeriesRatherThanAMadeUpValue() {
        String text = PrometheusText.render(new MetricRegistry(),
                List.of(unit(UnitId.kafka("payments", 0), 0, OptionalLong.empty())));

        assertThat(text).doesNotContain("offset_lag").doesNotContain("millis_behind_latest").doesNotContain("-1");
    }
}
