package dev.streamfleet.checkpoint;

import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckpointTest {

    private static final UnitId UNIT = UnitId.kafka("t", 0);

    @Test
    void aQuarantinedRowSaysSoAndATrustedOneDoesNot() {
        Checkpoint untrusted = Checkpoint.quarantined(UNIT, Instant.EPOCH, "unknown format 9");
        Checkpoint trusted = new Checkpoint(UNIT, Optional.of(new Position.Offset(5)), Optional.empty(), Optional.empty(),
                CheckpointState.ACTIVE, Instant.EPOCH, FinishedBeyond.NONE);

        assertThat(untrusted.isQuarantined()).isTrue();
        assertThat(untrusted.quarantined()).contains("unknown format 9");
        assertThat(trusted.isQuarantined()).isFalse();
    }

    @Test
    void aQuarantinedRowCarriesNothingButItsReason() {
        assertThatThrownBy(() -> new Checkpoint(UNIT, Optional.of(new Position.Offset(5)), Optional.empty(), Optional.empty(),
                CheckpointState.ACTIVE, Instant.EPOCH, FinishedBeyond.NONE, Optional.of("unreadable")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(UNIT.toString());
    }

    @Test
    void validNamesArePassedThrough() {
        assertThat(CheckpointRules.requireTableName("streamfleet-checkpoints")).isEqualTo("streamfleet-checkpoints");
        assertThat(CheckpointRules.requireApplication("orders.v2")).isEqualTo("orders.v2");
    }
}
