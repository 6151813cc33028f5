package dev.streamfleet.worker.internal.status;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FleetHistoryTest {

    private static final Instant T0 = Instant.parse("2026-11-30T10:00:00Z");

    @Test
    void theChartSurvivesALeaderChangeBecauseEveryWorkersOwnPointsAreMerged() {
        // Worker a sampled since 10:00:05, b (the new leader) since 10:00:20: the fleet's history goes back to a's start.
        List<HistoryPoint> a = points(1, 10, 10.0, OptionalLong.of(100), OptionalLong.empty());
        List<HistoryPoint> b = points(4, 10, 5.0, OptionalLong.of(300), OptionalLong.of(7));

        List<HistoryPoint> fleet = FleetHistory.merge(List.of(a, b));

        assertThat(fleet).hasSize(10);
        assertThat(fleet.get(0).at()).isEqualTo(T0.plusSeconds(10));
        assertThat(fleet.get(0).recordsPerSecond()).isEqualTo(10.0);
        assertThat(fleet.get(0).offsetLag()).isEmpty();
        HistoryPoint both = fleet.get(fleet.size() - 1);
        assertThat(both.recordsPerSecond()).isEqualTo(15.0);
        assertThat(both.millisBehindLatest()).as("the largest Kinesis lag").hasValue(300);
        assertThat(both.offsetLag()).as("the Kafka lags added up").hasValue(7);
    }

    @Test
    void theNewestPointIsNotADropBecauseOneWorkerHasNotSampledItYet() {
        List<HistoryPoint> a = points(1, 10, 10.0, OptionalLong.empty(), OptionalLong.empty());
        List<HistoryPoint> b = points(1, 9, 10.0, OptionalLong.empty(), OptionalLong.empty());

        List<HistoryPoint> fleet = FleetHistory.merge(List.of(a, b, List.of()));

        assertThat(fleet).hasSize(9).allSatisfy(point -> assertThat(point.recordsPerSecond()).isEqualTo(20.0));
    }

    @Test
    void pointsSampledAtDifferentMomentsOfTheSameIntervalAddUp() {
        HistoryPoint early = new HistoryPoint(T0.plusMillis(5_100), 3.0, OptionalLong.empty(), OptionalLong.empty());
        HistoryPoint late = new HistoryPoint(T0.plusMillis(9_900), 4.0, OptionalLong.empty(), OptionalLong.empty());

        assertThat(FleetHistory.merge(List.of(List.of(early), List.of(late))))
                .containsExactly(new HistoryPoint(T0.plusSeconds(10), 7.0, OptionalLong.empty(), OptionalLong.empty()));
    }

    @Test
    void noWorkerHasSampledYetGivesAnEmptyHistory() {
        assertThat(FleetHistory.merge(List.of(List.of(), List.of()))).isEmpty();
    }

    private static List<HistoryPoint> points(int from, int to, double rate, OptionalLong behind, OptionalLong lag) {
        List<HistoryPoint> points = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            points.add(new HistoryPoint(T0.plusSeconds(5L * i).plusMillis(300), rate, behind, lag));
        }
        return points;
    }
}
