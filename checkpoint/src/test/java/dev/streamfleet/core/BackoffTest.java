package dev.streamfleet.core;

import java.time.Duration;
import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

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
}
