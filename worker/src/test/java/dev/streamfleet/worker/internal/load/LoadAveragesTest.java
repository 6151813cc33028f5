package dev.streamfleet.worker.internal.load;

import dev.streamfleet.coordinator.UnitLoad;
import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LoadAveragesTest {

    private static final UnitId UNIT = UnitId.kafka("t", 0);
    private static final long SECOND = 1_000_000_000L;

    private final LoadAverages averages = new LoadAverages();

    @Test
    void aUnitHasNoLoadUntilItWasSampledTwice() {
        assertThat(averages.sample(Map.of(UNIT, new UnitCounts(0, 0, Duration.ZERO)), 0)).isEmpty();

        Map<UnitId, UnitLoad> loads = averages.sample(Map.of(UNIT, new UnitCounts(1_000, 100_000, Duration.ofSeconds(5))),
                10 * SECOND);

        assertThat(loads.get(UNIT).recordsPerSecond()).isCloseTo(100, within(1e-9));
        assertThat(loads.get(UNIT).bytesPerSecond()).isCloseTo(10_000, within(1e-9));
        assertThat(loads.get(UNIT).load()).as("half a second busy per second, plus 10 µs per record")
                .isCloseTo(0.5 + 100 * 10e-6, within(1e-9));
    }

    @Test
    void aBurstMovesTheAverageOnlyPartOfTheWay() {
        averages.sample(Map.of(UNIT, new UnitCounts(0, 0, Duration.ZERO)), 0);
        averages.sample(Map.of(UNIT, new UnitCounts(100, 0, Duration.ZERO)), 10 * SECOND);

        Map<UnitId, UnitLoad> loads = averages.sample(Map.of(UNIT, new UnitCounts(10_100, 0, Duration.ZERO)), 20 * SECOND);

        assertThat(loads.get(UNIT).recordsPerSecond()).as("from 10/s, a 10 s burst at 1,000/s").isBetween(150.0, 200.0);
    }

    @Test
    void aUnitThatStartedHereAgainStartsOverInsteadOfReportingANegativeLoad() {
        averages.sample(Map.of(UNIT, new UnitCounts(5_000, 0, Duration.ofSeconds(9))), 0);
        averages.sample(Map.of(UNIT, new UnitCounts(6_000, 0, Duration.ofSeconds(10))), 10 * SECOND);

        assertThat(averages.sample(Map.of(UNIT, new UnitCounts(10, 0, Duration.ZERO)), 20 * SECOND)).isEmpty();
        assertThat(averages.sample(Map.of(UNIT, new UnitCounts(110, 0, Duration.ZERO)), 30 * SECOND).get(UNIT)
                .recordsPerSecond()).isCloseTo(10, within(1e-9));
    }

    @Test
    void aUnitNoLongerHeldIsForgotten() {
        averages.sample(Map.of(UNIT, new UnitCounts(0, 0, Duration.ZERO)), 0);
        averages.sample(Map.of(UNIT, new UnitCounts(10, 0, Duration.ZERO)), SECOND);

        assertThat(averages.sample(Map.of(), 2 * SECOND)).isEmpty();
    }
}
