package dev.streamfleet.worker.internal.status;

import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.UnitMetricsSnapshot;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import com.codahale.metrics.MetricRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PrometheusTextTest {

    private static final UnitMetricsSnapshot.Latency NONE =
            new UnitMetricsSnapshot.Latency(0, Duration.ZERO, Duration.ZERO, Duration.ZERO);
    private static final String ORDERS = "{source=\"kinesis\",stream=\"orders.v2\",unit=\"shardId-000000000001\"}";
    private static final String PAYMENTS = "{source=\"kafka\",stream=\"payments\",unit=\"3\"}";

    private static UnitMetricsSnapshot unit(UnitId unit, long records, OptionalLong behind, OptionalLong lag) {
        return new UnitMetricsSnapshot(unit, records, 0, records * 10, 0, behind, lag, 2, 0, 1,
                new UnitMetricsSnapshot.Latency(3, Duration.ofMillis(30), Duration.ofMillis(5), Duration.ofMillis(20)), NONE,
                records > 5 ? Optional.of(new UnitMetricsSnapshot.Lanes(40, 16, 7)) : Optional.empty(),
                Duration.ofMillis(records * 100), 0);
    }

    private static String render(MetricRegistry totals, List<UnitMetricsSnapshot> units) {
        return new String(PrometheusText.withoutJvmMetrics().render(totals, units), StandardCharsets.UTF_8);
    }

    @Test
    void unitSeriesCarrySourceStreamAndUnitLabelsInsteadOfOneLabelHoldingTheWholeId() {
        MetricRegistry totals = new MetricRegistry();
        totals.meter("streamfleet.worker.records").mark(9);
        totals.gauge("streamfleet.worker.units.failed", () -> () -> 1L);

        String text = render(totals, List.of(
                unit(UnitId.kinesis("orders.v2", "shardId-000000000001"), 7, OptionalLong.of(1500), OptionalLong.empty()),
                unit(UnitId.kafka("payments", 3), 1, OptionalLong.empty(), OptionalLong.of(42))));

        assertThat(text).contains("streamfleet_unit_records_total" + ORDERS + " 7.0\n")
                .contains("streamfleet_unit_processor_retries_total" + PAYMENTS + " 2.0\n")
                .contains("streamfleet_unit_dead_lettered_total" + PAYMENTS + " 1.0\n")
                .contains("streamfleet_unit_busy_seconds_total" + PAYMENTS + " 0.1\n")
                .contains("streamfleet_unit_offset_lag" + PAYMENTS + " 42.0\n")
                .contains("streamfleet_unit_behind_latest_seconds" + ORDERS + " 1.5\n")
                .contains("streamfleet_unit_in_flight" + ORDERS + " 40.0\n")
                .doesNotContain("streamfleet_unit_in_flight" + PAYMENTS)
                .contains("streamfleet_worker_records_total 9.0\n")
                .contains("streamfleet_worker_units_failed 1.0\n")
                .doesNotContain("kinesis/orders.v2");
    }

    @Test
    void everyFamilyHasHelpAndTypeAndCountersAreCountersNotOneMinuteAverages() {
        MetricRegistry totals = new MetricRegistry();
        totals.meter("streamfleet.worker.records").mark(9);

        String text = render(totals, List.of(unit(UnitId.kafka("payments", 3), 1, OptionalLong.empty(), OptionalLong.of(1))));

        assertThat(text).contains("# TYPE streamfleet_worker_records_total counter\n")
                .contains("# HELP streamfleet_worker_records_total Records processed by this worker.\n")
                .contains("# TYPE streamfleet_unit_offset_lag gauge\n")
                .doesNotContain("per_second");
        long families = text.lines().filter(line -> line.startsWith("# TYPE ")).count();
        assertThat(text.lines().filter(line -> line.startsWith("# HELP ")).count()).isEqualTo(families);
    }

    @Test
    void latenciesAreSummariesWithQuantileLabelsSumAndCount() {
        String text = render(new MetricRegistry(),
                List.of(unit(UnitId.kafka("payments", 3), 1, OptionalLong.empty(), OptionalLong.empty())));

        assertThat(text).contains("# TYPE streamfleet_unit_fetch_seconds summary\n")
                .contains("streamfleet_unit_fetch_seconds{source=\"kafka\",stream=\"payments\",unit=\"3\",quantile=\"0.5\"} 0.005\n")
                .contains("streamfleet_unit_fetch_seconds{source=\"kafka\",stream=\"payments\",unit=\"3\",quantile=\"0.99\"} 0.02\n")
                .contains("streamfleet_unit_fetch_seconds_count" + PAYMENTS + " 3\n")
                .contains("streamfleet_unit_fetch_seconds_sum" + PAYMENTS + " 0.03\n")
                .doesNotContain("p99");
    }

    @Test
    void aLagNotKnownYetHasNoSeriesRatherThanAMadeUpValue() {
        String text = render(new MetricRegistry(),
                List.of(unit(UnitId.kafka("payments", 0), 0, OptionalLong.empty(), OptionalLong.empty())));

        assertThat(text).doesNotContain("streamfleet_unit_offset_lag{").doesNotContain("behind_latest_seconds{")
                .doesNotContain(" -1");
        assertThat(text).as("a latency never observed has a count of 0 and no made-up quantiles")
                .contains("streamfleet_unit_checkpoint_seconds_count{source=\"kafka\",stream=\"payments\",unit=\"0\"} 0\n")
                .doesNotContain("streamfleet_unit_checkpoint_seconds{");
    }

    @Test
    void theJvmsOwnMetricsAreIncluded() {
        String text = new String(PrometheusText.withJvmMetrics().render(new MetricRegistry(), List.of()),
                StandardCharsets.UTF_8);

        assertThat(text).contains("# TYPE jvm_memory_used_bytes gauge").contains("jvm_threads_current")
                .contains("process_cpu_seconds_total");
    }
}
