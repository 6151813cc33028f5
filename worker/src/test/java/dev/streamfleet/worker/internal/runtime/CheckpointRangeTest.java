package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.core.Position;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckpointRangeTest {

    private static Position.Offset offset(long next) {
        return new Position.Offset(next);
    }

    @Test
    void aFuturePositionIsRejectedSoThatARestartCannotSkipRecords() {
        assertThatThrownBy(() -> CheckpointRange.check(offset(1_000_000), offset(1), offset(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot checkpoint offset:1000000: a checkpoint must lie from the last checkpoint (offset:1)"
                        + " to the last record handed over (offset:2)");
    }

    @Test
    void aPositionBeforeTheLastCheckpointIsRejectedSoThatProgressNeverMovesBack() {
        assertThatThrownBy(() -> CheckpointRange.check(offset(3), offset(5), offset(9)))
                .hasMessageContaining("from the last checkpoint (offset:5)");
    }

    @Test
    void nothingCanBeCheckpointedBeforeARecordWasHandedOver() {
        assertThatThrownBy(() -> CheckpointRange.check(offset(1), null, null))
                .hasMessage("cannot checkpoint offset:1: no record has been handed over yet (last checkpoint none)");
        assertThatThrownBy(() -> CheckpointRange.check(Position.LATEST, null, offset(1)))
                .hasMessageStartingWith("a checkpoint needs the position of a record handed over");
    }

    @Test
    void positionsOfAnotherKindOfUnitAreRejected() {
        assertThatThrownBy(() -> CheckpointRange.check(Position.Sequence.of("5"), null, offset(9)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anyPositionFromTheLastCheckpointToTheLastHandedOverIsAccepted() {
        assertThatCode(() -> CheckpointRange.check(offset(5), offset(5), offset(9))).doesNotThrowAnyException();
        assertThatCode(() -> CheckpointRange.check(offset(9), offset(5), offset(9))).doesNotThrowAnyException();
        assertThatCode(() -> CheckpointRange.check(offset(1), null, offset(1))).doesNotThrowAnyException();
        assertThatCode(() -> CheckpointRange.check(Position.Sequence.of("49590338271490256608559692538361571095921575989136588898"),
                Position.Sequence.of("49590338271490256608559692538361571095921575989136588800"),
                new Position.Sequence(new java.math.BigInteger("49590338271490256608559692538361571095921575989136588898"), 3)))
                .doesNotThrowAnyException();
    }
}
