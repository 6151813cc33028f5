package dev.streamfleet.worker.status;

import com.codahale.metrics.MetricRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PrometheusTextTest {

    @Test
    void unitMetricsBecomeLabelledSeriesAndWorkerTotalsPlainOnes() {
        MetricRegistry registry = new MetricRegistry();
        registry.meter("streamfleet.unit.kinesis/orders.v2/shardId-000000000001.records").mark(7);
        registry.counter("streamfleet.unit.kafka/pay\"ments/3.processorRetries").inc(2);
        registry.meter("streamfleet.worker.records").mark(9);
        registry.gauge("streamfleet.unit.kafka/payments/3.offsetLag", () -> () -> 42L);

        String text = PrometheusText.render(registry);

        assertThat(text).contains("streamfleet_unit_records_total{unit=\"kinesis/orders.v2/shardId-000000000001\"} 7\n")
                .contains("streamfleet_unit_processor_retries_total{unit=\"kafka/pay\\\"ments/3\"} 2\n")
                .contains("streamfleet_worker_records_total 9\n")
                .contains("streamfleet_unit_offset_lag{unit=\"kafka/payments/3\"} 42\n");
    }
}
