package dev.streamfleet.core;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FinishedBeyondTest {

    @Test
    void aRoundTripKeepsExactlyTheFinishedOrdinals() {
        FinishedBeyond finished = new FinishedBeyond.Builder().add(1).add(2).add(5, 9).add(300).build();

        FinishedBeyond read = FinishedBeyond.decode(finished.encode());

        assertThat(read).isEqualTo(finished);
        assertThat(read.count()).isEqualTo(7);
        assertThat(read.end()).isEqualTo(301);
        for (long ordinal = 0; ordinal < 400; ordinal++) {
            boolean expected = ordinal == 1 || ordinal == 2 || (ordinal >= 5 && ordinal < 9) || ordinal == 300;
            assertThat(read.contains(ordinal)).as("ordinal %d", ordinal).isEqualTo(expected);
        }
    }

    @Test
    void nothingFinishedIsStoredAsNothing() {
        assertThat(FinishedBeyond.NONE.encode()).isEmpty();
        assertThat(FinishedBeyond.decode("")).isEqualTo(FinishedBeyond.NONE);
        assertThat(FinishedBeyond.NONE.contains(0)).isFalse();
    }

    @Test
    void tenThousandRecordsInFlightFinishingInRandomOrderStayWellUnderTheItemLimit() {
        Random random = new Random(42);
        int inFlight = 10_000;
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < inFlight; i++) {
            order.add(i);
        }
        Collections.shuffle(order, random);
        BitSet done = new BitSet();
        int largest = 0;
        for (int finishedSoFar = 0; finishedSoFar < inFlight; finishedSoFar++) {
            done.set(order.get(finishedSoFar));
            if (finishedSoFar % 97 != 0) {
                continue;
            }
            int watermark = done.nextClearBit(0);
            FinishedBeyond.Builder builder = new FinishedBeyond.Builder();
            for (int i = done.nextSetBit(watermark); i >= 0; i = done.nextSetBit(i + 1)) {
                builder.add(i - watermark);
            }
            FinishedBeyond set = builder.build();
            String encoded = set.encode();
            largest = Math.max(largest, encoded.length());
            FinishedBeyond read = FinishedBeyond.decode(encoded);
            for (int i = watermark; i < inFlight; i++) {
                assertThat(read.contains(i - watermark)).isEqualTo(done.get(i));
            }
        }
        // DynamoDB items may hold 400 KB; the row's other attributes are under 1 KB.
        assertThat(largest).isLessThan(20_000);
    }

    @Test
    void theWorstCaseOfEveryOtherRecordFinishedIsStillSmall() {
        FinishedBeyond.Builder builder = new FinishedBeyond.Builder();
        for (int i = 1; i < 20_000; i += 2) {
            builder.add(i);
        }
        assertThat(builder.build().encode().length()).isLessThan(30_000);
    }

    @Test
    void aCorruptStoredFormIsRefusedNotMisread() {
        assertThatThrownBy(() -> FinishedBeyond.decode("!!!")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not a set of finished records");
        assertThatThrownBy(() -> FinishedBeyond.decode("gA")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ends inside a number");
        assertThatThrownBy(() -> FinishedBeyond.decode("AQA")).as("a range of no records").isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not a set of finished records");
    }

    @Test
    void rangesOutOfOrderAreABug() {
        assertThatThrownBy(() -> new FinishedBeyond.Builder().add(5).add(3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("ranges must be added in order: 3 after 6");
    }

    @Test
    void theFirstRecordAfterTheWatermarkCanBeFinishedAndRangesAreListedInOrder() {
        FinishedBeyond finished = new FinishedBeyond.Builder().add(0).add(1, 3).add(7).build();
        List<long[]> ranges = new ArrayList<>();

        FinishedBeyond.decode(finished.encode()).forEachRange((start, end) -> ranges.add(new long[] {start, end}));

        assertThat(ranges).containsExactly(new long[] {0, 3}, new long[] {7, 8});
    }

    @Test
    void theTextFormListsSingleOrdinalsAndRangesAndTheRecordCountedFrom() {
        FinishedBeyond finished = new FinishedBeyond.Builder().add(1).add(5, 9).add(12).build();

        assertThat(FinishedBeyond.NONE).hasToString("finished beyond the watermark: []");
        assertThat(finished).hasToString("finished beyond the watermark: [1, 5..8, 12]");
        assertThat(finished.anchoredAt(Position.Sequence.of("42")))
                .hasToString("finished beyond the watermark: [1, 5..8, 12] counted from seq:42");
    }

    @Test
    void setsAreEqualOnlyWithTheSameOrdinalsCountedFromTheSameRecord() {
        FinishedBeyond finished = new FinishedBeyond.Builder().add(1).add(5, 9).build();
        FinishedBeyond same = new FinishedBeyond.Builder().add(1).add(5, 7).add(7, 9).build();
        FinishedBeyond anchored = finished.anchoredAt(Position.Sequence.of("42"));

        assertThat(same).isEqualTo(finished).hasSameHashCodeAs(finished);
        assertThat(anchored).isNotEqualTo(finished).isEqualTo(same.anchoredAt(Position.Sequence.of("42")));
        assertThat(anchored.hashCode()).isNotEqualTo(finished.hashCode());
        assertThat(finished).isNotEqualTo(FinishedBeyond.NONE);
        assertThat(finished.hashCode()).isNotEqualTo(FinishedBeyond.NONE.hashCode());
    }

    @Test
    void anEmptyOrNegativeRangeIsABug() {
        assertThatThrownBy(() -> new FinishedBeyond.Builder().add(3, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("empty or negative range 3..3");
        assertThatThrownBy(() -> new FinishedBeyond.Builder().add(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
