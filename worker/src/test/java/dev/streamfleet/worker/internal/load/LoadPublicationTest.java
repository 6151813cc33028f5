package dev.streamfleet.worker.internal.load;

import dev.streamfleet.coordinator.UnitLoad;
import dev.streamfleet.core.UnitId;

import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LoadPublicationTest {

    private static final long SECOND = 1_000_000_000L;
    private static final UnitId A = UnitId.kafka("t", 0);
    private static final UnitId B = UnitId.kafka("t", 1);

    private final LoadPublication publication = new LoadPublication();

    private static UnitLoad load(double value) {
        return new UnitLoad(value, value * 1_000, value * 100_000);
    }

    @Test
    void anIdleWorkerThatHoldsNothingNeverWrites() {
        for (int i = 0; i < 100; i++) {
            assertThat(publication.due(Map.of(), i * 10 * SECOND)).isFalse();
        }
    }

    @Test
    void anIdleWorkerNeverWritesWhateverItHolds() {
        for (int i = 0; i <= 60; i++) {
            Map<UnitId, UnitLoad> idle = i < 30 ? Map.of(A, load(0), B, load(0.001)) : Map.of(A, load(0.002));
            assertThat(publication.due(idle, i * 10 * SECOND)).as("10 minutes idle").isFalse();
        }
    }

    @Test
    void aBusyUnitThatLeavesIsWrittenAsGone() {
        publication.due(Map.of(A, load(0.5), B, load(0.2)), 0);

        assertThat(publication.due(Map.of(B, load(0.2)), 10 * SECOND)).isTrue();
        assertThat(publication.due(Map.of(B, load(0.2), A, load(0.001)), 20 * SECOND)).as("an idle unit arriving").isFalse();
    }

    @Test
    void aSteadyLoadWithNoiseWritesNothing() {
        Random random = new Random(3);
        publication.due(Map.of(A, load(0.5), B, load(0.2)), 0);
        for (int i = 1; i <= 60; i++) {
            Map<UnitId, UnitLoad> noisy = Map.of(A, load(0.5 * (0.9 + random.nextDouble() * 0.2)),
                    B, load(0.2 * (0.9 + random.nextDouble() * 0.2)));
            assertThat(publication.due(noisy, i * 10 * SECOND)).isFalse();
        }
    }

    @Test
    void aChangeOfMoreThanTheThresholdIsWrittenButNotTwiceWithinTenSeconds() {
        publication.due(Map.of(A, load(0.5)), 0);

        assertThat(publication.due(Map.of(A, load(0.9)), 5 * SECOND)).as("too soon").isFalse();
        assertThat(publication.due(Map.of(A, load(0.9)), 10 * SECOND)).isTrue();
        assertThat(publication.due(Map.of(A, load(0.9), B, load(0.1)), 15 * SECOND)).as("a new busy unit, too soon").isFalse();
        assertThat(publication.due(Map.of(A, load(0.9), B, load(0.1)), 20 * SECOND)).isTrue();
    }

    @Test
    void aFailedWriteIsTriedAgainAfterTheInterval() {
        publication.due(Map.of(A, load(0.5)), 0);
        publication.failed();

        assertThat(publication.due(Map.of(A, load(0.5)), 10 * SECOND)).isTrue();
    }
}
