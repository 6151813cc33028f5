package dev.streamfleet.core;

import java.math.BigInteger;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PositionCodecTest {

    private static final String REAL_SEQUENCE = "49590338271490256608559692538361571095921575989136588898";

    @Test
    void everyKindOfPositionSurvivesARoundTrip() {
        List<Position> positions = List.of(
                Position.Sequence.of(REAL_SEQUENCE),
                new Position.Sequence(new BigInteger(REAL_SEQUENCE), 7),
                new Position.Offset(0),
                new Position.Offset(Long.MAX_VALUE),
                Position.TRIM_HORIZON,
                Position.LATEST,
                new Position.AtTimestamp(Instant.parse("2026-11-25T06:00:00.123Z")));
        for (Position position : positions) {
            assertThat(PositionCodec.decode(PositionCodec.encode(position))).isEqualTo(position);
        }
    }

    @Test
    void sortKeyOfSequenceNumbersFollowsNumericNotLexicalOrder() {
        String nine = PositionCodec.sortKey(Position.Sequence.of("9"));
        String ten = PositionCodec.sortKey(Position.Sequence.of("10"));
        String real = PositionCodec.sortKey(Position.Sequence.of(REAL_SEQUENCE));

        assertThat(nine).isLessThan(ten);
        assertThat(ten).isLessThan(real);
        assertThat(nine).hasSameSizeAs(real);
    }

    @Test
    void sortKeyPutsSubSequencesBetweenTheirAggregateAndTheNextRecord() {
        BigInteger aggregate = new BigInteger(REAL_SEQUENCE);
        String whole = PositionCodec.sortKey(new Position.Sequence(aggregate, 0));
        String eleventh = PositionCodec.sortKey(new Position.Sequence(aggregate, 11));
        String second = PositionCodec.sortKey(new Position.Sequence(aggregate, 2));
        String next = PositionCodec.sortKey(new Position.Sequence(aggregate.add(BigInteger.ONE), 0));

        assertThat(whole).isLessThan(second);
        assertThat(second).isLessThan(eleventh);
        assertThat(eleventh).isLessThan(next);
    }

    @Test
    void sortKeyOfOffsetsFollowsNumericOrder() {
        assertThat(PositionCodec.sortKey(new Position.Offset(99))).isLessThan(PositionCodec.sortKey(new Position.Offset(100)));
    }

    @Test
    void startingPointHasNoSortKey() {
        assertThatThrownBy(() -> PositionCodec.sortKey(Position.LATEST)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void garbageIsRejectedWithTheTextInTheMessage() {
        for (String garbage : List.of("", "seq:", "seq:12a", "seq:-5", "offset:x", "AT_TIMESTAMP:yesterday", "TRIM")) {
            assertThatThrownBy(() -> PositionCodec.decode(garbage))
                    .as(garbage)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + garbage + "'");
        }
    }

    @Test
    void sequenceNumberLongerThanKinesisAllowsIsRejected() {
        assertThatThrownBy(() -> Position.Sequence.of("1".repeat(PositionCodec.MAX_SEQUENCE_DIGITS + 1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Position.Sequence.of("1" + "0".repeat(PositionCodec.MAX_SEQUENCE_DIGITS)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sequenceNumberOfExactlyTheLongestLengthIsAccepted() {
        String longest = "9".repeat(PositionCodec.MAX_SEQUENCE_DIGITS);
        assertThat(PositionCodec.encode(Position.Sequence.of(longest))).isEqualTo("seq:" + longest);
    }
}
