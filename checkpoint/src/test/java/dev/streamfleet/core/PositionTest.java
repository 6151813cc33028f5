package dev.streamfleet.core;

import java.math.BigInteger;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PositionTest {

    @Test
    void sequenceNumbersOrderByNumberThenByUserRecordInsideTheAggregate() {
        Position.Sequence five = new Position.Sequence(BigInteger.valueOf(5), 0);
        Position.Sequence fiveSecond = new Position.Sequence(BigInteger.valueOf(5), 2);
        Position.Sequence six = new Position.Sequence(BigInteger.valueOf(6), 0);

        assertThat(five).isLessThan(six).isLessThan(fiveSecond);
        assertThat(fiveSecond).isLessThan(six);
        assertThat(six).isGreaterThan(fiveSecond);
    }

    @Test
    void sequenceNumberZeroIsAValidPosition() {
        assertThat(Position.Sequence.of("0").sequenceNumber()).isZero();
    }

    @Test
    void offsetsOrderByNextOffset() {
        assertThat(new Position.Offset(99)).isLessThan(new Position.Offset(100));
        assertThat(new Position.Offset(100)).isGreaterThan(new Position.Offset(99)).isEqualByComparingTo(new Position.Offset(100));
    }

    @Test
    void onlyRecordsAreRecordPositionsNeverStartingPoints() {
        assertThat(new Position.Offset(0).isRecordPosition()).isTrue();
        assertThat(Position.Sequence.of("1").isRecordPosition()).isTrue();
        assertThat(Position.TRIM_HORIZON.isRecordPosition()).isFalse();
        assertThat(Position.LATEST.isRecordPosition()).isFalse();
        assertThat(new Position.AtTimestamp(Instant.EPOCH).isRecordPosition()).isFalse();
    }
}
