package dev.streamfleet.core;

import java.time.Duration;
import java.util.Random;
import java.util.random.RandomGenerator;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackoffTest {

    private final Backoff backoff = new Backoff(5, Duration.ofMillis(100), Duration.ofMillis(700));

    @Test
    void delaysStayWithinTheirDoublingCapAndTheMaximum() {
        Random random = new Random(42);
        long[] caps = {100, 200, 400, 700, 700, 700};
        for (int attempt = 1; attempt <= caps.length; attempt++) {
            for (int sample = 0; sample < 200; sample++) {
                assertThat(backoff.delayAfter(attempt, random).toMillis()).isBetween(0L, caps[attempt - 1]);
            }
        }
    }

    @Test
    void delaysAreJitteredSoAFleetDoesNotRetryInLockstep() {
        Random random = new Random(7);
        long first = backoff.delayAfter(3, random).toMillis();
        boolean differs = false;
        for (int sample = 0; sample < 20 && !differs; sample++) {
            differs = backoff.delayAfter(3, random).toMillis() != first;
        }
        assertThat(differs).isTrue();
    }

    @Test
    void retriesStopAfterMaxAttempts() {
        assertThat(backoff.allowsRetryAfter(4)).isTrue();
        assertThat(backoff.allowsRetryAfter(5)).isFalse();
    }

    /** Draws the largest value each bound allows: the top of every jitter range. */
    private static final class Highest implements RandomGenerator {
        @Override
        public long nextLong() {
            return Long.MAX_VALUE;
        }

        @Override
        public long nextLong(long bound) {
            return bound - 1;
        }
    }

    @Test
    void eachDelayCanReachItsCapSoTheJitterCoversTheWholeRange() {
        long[] caps = {100, 200, 400, 700, 700};
        for (int attempt = 1; attempt <= caps.length; attempt++) {
            assertThat(backoff.delayAfter(attempt, new Highest()).toMillis()).as("attempt %d", attempt)
                    .isEqualTo(caps[attempt - 1]);
        }
    }

    @Test
    void aBaseOfZeroNeverWaits() {
        Backoff none = new Backoff(3, Duration.ZERO, Duration.ZERO);

        assertThat(none.delayAfter(2, new Highest())).isZero();
    }

    @Test
    void oneAttemptMeansNoRetryAndNoAttemptIsRefused() {
        assertThat(new Backoff(1, Duration.ofMillis(100), Duration.ofMillis(100)).allowsRetryAfter(1)).isFalse();
        assertThatThrownBy(() -> new Backoff(0, Duration.ofMillis(100), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxAttempts");
    }

    @Test
    void aNegativeBaseOrAMaximumBelowTheBaseIsRefused() {
        assertThatThrownBy(() -> new Backoff(3, Duration.ofMillis(-1), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("base");
        assertThatThrownBy(() -> new Backoff(3, Duration.ofMillis(200), Duration.ofMillis(100)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max");
    }
}
