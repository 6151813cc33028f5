package dev.streamfleet.worker.internal.status;

import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.UnitMetricsSnapshot;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class OwnHistoryTest {

    private static final Instant T0 = Instant.parse("2026-11-30T10:00:00Z");

    private final OwnHistory history = new OwnHistory();

    @Test
    void theRateIsTheRecordsOfTheIntervalNotAMovingAverage() {
        history.sample(T0, 1_000, List.of());
        history.sample(T0.plusSeconds(5), 1_500, List.of());
        history.sample(T0.plusSeconds(10), 1_500, List.of());

        assertThat(history.points()).extracting(HistoryPoint::recordsPerSecond).containsExactly(100.0, 0.0);
        assertThat(history.points()).extracting(HistoryPoint::at).containsExactly(T0.plusSeconds(5), T0.plusSeconds(10));
    }

    @Test
    void kinesisLagIsTheLargestAndKafkaLagTheSumAndNeitherIsMadeUpWhenNoUnitReportsIt() {
        history.sample(T0, 0, List.of());
        history.sample(T0.plusSeconds(5), 0, List.of(unit("kinesis/s/shardId-0", OptionalLong.of(300), OptionalLong.empty()),
                unit("kinesis/s/shardId-1", OptionalLong.of(1_200), OptionalLong.empty()),
                unit("kafka/t/0", OptionalLong.empty(), OptionalLong.of(40)),
                unit("kafka/t/1", OptionalLong.empty(), OptionalLong.of(2))));
        history.sample(T0.plusSeconds(10), 0, List.of(unit("kinesis/s/shardId-0", OptionalLong.empty(), OptionalLong.empty())));

        HistoryPoint both = history.points().get(0);
        assertThat(both.millisBehindLatest()).hasValue(1_200);
        assertThat(both.offsetLag()).hasValue(42);
        HistoryPoint unknown = history.points().get(1);
        assertThat(unknown.millisBehindLatest()).isEmpty();
        assertThat(unknown.offsetLag()).isEmpty();
        assertThat(unknown.toJson().has("maxMillisBehindLatest")).isFalse();
    }

    @Test
    void aLongRunningWorkerKeepsTenMinutesNotEverything() {
        for (int i = 0; i <= 500; i++) {
            history.sample(T0.plus(OwnHistory.INTERVAL.multipliedBy(i)), i, List.of());
        }
        assertThat(history.points()).hasSize(OwnHistory.POINTS);
        assertThat(history.points().get(history.points().size() - 1).at()).isEqualTo(T0.plus(OwnHistory.INTERVAL.multipliedBy(500)));
    }

    @Test
    void aPointSurvivesTheTripThroughAWorkersReport() {
        HistoryPoint point = new HistoryPoint(T0, 12.5, OptionalLong.of(7), OptionalLong.empty());
        assertThat(HistoryPoint.fromJson(point.toJson())).hasValue(point);
        assertThat(HistoryPoint.fromJson(point.toJson().put("at", "yesterday"))).isEmpty();
    }

    private static UnitMetricsSnapshot unit(String unit, OptionalLong behind, OptionalLong lag) {
        UnitMetricsSnapshot.Latency none = new UnitMetricsSnapshot.Latency(0, Duration.ZERO, Duration.ZERO, Duration.ZERO);
        return new UnitMetricsSnapshot(UnitId.parse(unit), 0, 0, 0, 0, behind, lag, 0, 0, 0, none, none, Optional.empty(),
                Duration.ZERO, 0);
    }
}
