package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.core.Position;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CheckpointPolicyTest {

    private static final Instant T0 = Instant.parse("2026-11-25T00:00:00Z");
    private final CheckpointPolicy policy = new CheckpointPolicy(Duration.ofSeconds(5));

    @Test
    void idleUnitWritesNothingEvenWhenForced() {
        Position at = new Position.Offset(10);
        assertThat(policy.shouldWrite(at, at, T0, T0.plusSeconds(60), true)).isFalse();
        assertThat(policy.shouldWrite(null, null, null, T0, true)).isFalse();
    }

    @Test
    void progressIsWrittenAtMostOncePerInterval() {
        Position written = new Position.Offset(10);
        Position processed = new Position.Offset(20);

        assertThat(policy.shouldWrite(processed, written, T0, T0.plusMillis(4_999), false)).isFalse();
        assertThat(policy.shouldWrite(processed, written, T0, T0.plusSeconds(5), false)).isTrue();
    }

    @Test
    void revokeShardEndAndShutdownWriteProgressAtOnce() {
        assertThat(policy.shouldWrite(new Position.Offset(20), new Position.Offset(10), T0, T0.plusMillis(1), true)).isTrue();
    }
}
