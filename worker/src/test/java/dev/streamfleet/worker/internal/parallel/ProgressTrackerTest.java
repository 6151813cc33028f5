package dev.streamfleet.worker.internal.parallel;

import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.PositionCodec;
import dev.streamfleet.core.SourceKind;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProgressTrackerTest {

    private static Position.Offset offset(long offset) {
        return new Position.Offset(offset + 1);
    }

    private static Position.Sequence sequence(long n) {
        return new Position.Sequence(BigInteger.valueOf(1_000_000L + n * 37), 0);
    }

    @Test
    void theWatermarkNeverPassesARecordStillInFlight() {
        ProgressTracker tracker = new ProgressTracker(SourceKind.KAFKA, Optional.of(new Position.Offset(10)), FinishedBeyond.NONE);
        long a = tracker.dispatch(offset(10));
        long b = tracker.dispatch(offset(11));
        long c = tracker.dispatch(offset(12));

        tracker.finish(c);
        tracker.finish(b);
        assertThat(tracker.watermark()).contains(new Position.Offset(10));
        assertThat(tracker.finishedBeyond()).isEqualTo(new FinishedBeyond.Builder().add(1, 3).build());

        tracker.finish(a);
        assertThat(tracker.watermark()).contains(new Position.Offset(13));
        assertThat(tracker.finishedBeyond()).isEqualTo(FinishedBeyond.NONE);
        assertThat(tracker.inFlight()).isZero();
    }

    @Test
    void kafkaOffsetsThatAreNeverReadAreNotWaitedFor() {
        ProgressTracker tracker = new ProgressTracker(SourceKind.KAFKA, Optional.of(new Position.Offset(10)), FinishedBeyond.NONE);
        long a = tracker.dispatch(offset(10));
        long b = tracker.dispatch(offset(15)); // 11–14 compacted away or transaction markers

        tracker.finish(a);
        tracker.finish(b);

        assertThat(tracker.watermark()).contains(new Position.Offset(16));
    }

    /**
     * The crash the encoding exists for: a new owner reads again from the watermark, and of the
     * records after it processes exactly those the old owner had not finished.
     */
    @Test
    void afterACrashOnlyTheUnfinishedRecordsAreProcessedAgain() {
        for (SourceKind kind : SourceKind.values()) {
            Random random = new Random(7);
            List<Position> stream = new ArrayList<>();
            for (int i = 0; i < 2_000; i++) {
                stream.add(kind == SourceKind.KAFKA ? offset(100 + i * 2L) : sequence(i));
            }
            // Resumed from a record before the stream part used here: a watermark a checkpoint can store.
            Position before = kind == SourceKind.KAFKA ? new Position.Offset(100) : sequence(-1);
            ProgressTracker first = new ProgressTracker(kind, Optional.of(before), FinishedBeyond.NONE);
            List<Long> ordinals = new ArrayList<>();
            for (Position position : stream.subList(0, 1_500)) {
                ordinals.add(first.dispatch(position));
            }
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < 1_500; i++) {
                order.add(i);
            }
            Collections.shuffle(order, random);
            Set<Position> finished = new HashSet<>();
            for (int i : order.subList(0, 900)) {
                first.finish(ordinals.get(i));
                finished.add(stream.get(i));
            }
            // The checkpoint as stored, then the crash.
            Optional<Position> watermark = first.watermark();
            FinishedBeyond written = first.finishedBeyond();
            FinishedBeyond beyond = written.first().map(FinishedBeyond.decode(written.encode())::anchoredAt)
                    .orElse(FinishedBeyond.decode(written.encode()));

            ProgressTracker next = new ProgressTracker(kind, watermark, beyond);
            int from = watermark.map(stream::indexOf).orElse(-1) + 1;
            List<Position> processedAgain = new ArrayList<>();
            for (Position position : stream.subList(from, stream.size())) {
                if (next.dispatch(position) >= 0) {
                    processedAgain.add(position);
                }
            }
            List<Position> expected = stream.subList(from, stream.size()).stream().filter(p -> !finished.contains(p)).toList();
            assertThat(processedAgain).as(kind.toString()).isEqualTo(expected);
            assertThat(next.inFlight()).isEqualTo(expected.size());
        }
    }

    /** Resumed after record 0, read records 1 to 10, and finished only {@code records}: out of order. */
    private static ProgressTracker firstOwnerOfTenRecordsFinishing(int... records) {
        ProgressTracker first = new ProgressTracker(SourceKind.KINESIS, Optional.of(sequence(0)), FinishedBeyond.NONE);
        long[] ordinals = new long[11];
        for (int i = 1; i <= 10; i++) {
            ordinals[i] = first.dispatch(sequence(i));
        }
        for (int record : records) {
            first.finish(ordinals[record]);
        }
        return first;
    }

    @Test
    void aSecondCrashBeforeTheResumedRecordsAreReadAgainForgetsNoneOfThem() {
        ProgressTracker first = firstOwnerOfTenRecordsFinishing(6, 9);

        ProgressTracker second = new ProgressTracker(SourceKind.KINESIS, first.watermark(), first.finishedBeyond());
        second.finish(second.dispatch(sequence(1)));
        second.finish(second.dispatch(sequence(2)));
        second.dispatch(sequence(3));

        // Crashed again after three records: the third owner still skips records 6 and 9.
        ProgressTracker third = new ProgressTracker(SourceKind.KINESIS, second.watermark(), second.finishedBeyond());
        List<Long> processed = new ArrayList<>();
        for (int i = 3; i <= 10; i++) {
            if (third.dispatch(sequence(i)) >= 0) {
                processed.add((long) i);
            }
        }
        assertThat(processed).containsExactly(3L, 4L, 5L, 7L, 8L, 10L);
        assertThat(third.ignoredResumedSet()).isEmpty();
    }

    @Test
    void aKinesisSetWhoseFirstRecordWasNotReadYetIsNotStoredSoNothingIsSkippedOnTrust() {
        ProgressTracker first = firstOwnerOfTenRecordsFinishing(6);
        ProgressTracker second = new ProgressTracker(SourceKind.KINESIS, first.watermark(), first.finishedBeyond());
        second.finish(second.dispatch(sequence(1)));

        // The watermark is record 1 and record 2 was not read: nothing names the set's ordinal 0,
        // so it is not stored, and a third owner processes record 6 again rather than trust it.
        assertThat(second.watermark()).contains(sequence(1));
        assertThat(second.finishedBeyond()).isEqualTo(FinishedBeyond.NONE);
    }

    @Test
    void aResumedKinesisSetIsIgnoredWhenTheFirstRecordReadIsNotTheOneItWasCountedFrom() {
        ProgressTracker first = firstOwnerOfTenRecordsFinishing(6, 9);
        assertThat(first.finishedBeyond().first()).contains(sequence(1));

        // Records 1 to 3 were trimmed away: the shard's first record after the watermark is now record 4.
        ProgressTracker next = new ProgressTracker(SourceKind.KINESIS, first.watermark(), first.finishedBeyond());
        List<Long> processed = new ArrayList<>();
        for (int i = 4; i <= 10; i++) {
            if (next.dispatch(sequence(i)) >= 0) {
                processed.add((long) i);
            }
        }
        // Counting from record 4 would have skipped records 9 and 12 (ordinals 5 and 8) in place
        // of 6 and 9; nothing is skipped.
        assertThat(processed).containsExactly(4L, 5L, 6L, 7L, 8L, 9L, 10L);
        assertThat(next.ignoredResumedSet()).get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains(PositionCodec.encode(sequence(4))).contains(PositionCodec.encode(sequence(1)));
    }

    @Test
    void aResumedKinesisSetThatNamesNoFirstRecordIsNotTrusted() {
        FinishedBeyond unnamed = new FinishedBeyond.Builder().add(1).build();
        ProgressTracker next = new ProgressTracker(SourceKind.KINESIS, Optional.of(sequence(0)), unnamed);
        assertThat(next.dispatch(sequence(1))).isGreaterThanOrEqualTo(0);
        assertThat(next.dispatch(sequence(2))).as("ordinal 1, not trusted").isGreaterThanOrEqualTo(0);
        assertThat(next.ignoredResumedSet()).isPresent();
    }

    @Test
    void withNothingCheckpointedAKafkaUnitStartsItsWatermarkAtTheFirstRecordRead() {
        ProgressTracker tracker = new ProgressTracker(SourceKind.KAFKA, Optional.empty(), FinishedBeyond.NONE);
        long a = tracker.dispatch(offset(500));
        long b = tracker.dispatch(offset(501));
        tracker.finish(b);

        assertThat(tracker.watermark()).contains(new Position.Offset(500));
        assertThat(tracker.finishedBeyond()).isEqualTo(new FinishedBeyond.Builder().add(1).build());
        tracker.finish(a);
        assertThat(tracker.watermark()).contains(new Position.Offset(502));
    }

    private static ProgressTracker kafkaResumedAt(long nextOffset, long... finishedOrdinals) {
        FinishedBeyond.Builder finished = new FinishedBeyond.Builder();
        for (long ordinal : finishedOrdinals) {
            finished.add(ordinal);
        }
        return new ProgressTracker(SourceKind.KAFKA, Optional.of(new Position.Offset(nextOffset)), finished.build());
    }

    @Test
    void aResumedFinishedRecordRightAfterTheWatermarkIsSkippedAndTheWatermarkPassesIt() {
        // Stored when the watermark had reached just short of a record finished before a crash.
        ProgressTracker tracker = kafkaResumedAt(12, 0);

        assertThat(tracker.dispatch(offset(12))).as("offset 12, finished before").isNegative();
        assertThat(tracker.watermark()).contains(new Position.Offset(13));
        assertThat(tracker.span()).isZero();
    }

    @Test
    void recordsFinishedBehindOneInFlightAreCountedUntilTheWatermarkPassesThem() {
        ProgressTracker tracker = kafkaResumedAt(10, 1, 2);
        long first = tracker.dispatch(offset(10));
        assertThat(tracker.dispatch(offset(11))).isNegative();
        assertThat(tracker.dispatch(offset(12))).isNegative();
        long fourth = tracker.dispatch(offset(13));
        long fifth = tracker.dispatch(offset(14));
        assertThat(tracker.finishedBeyondCount()).as("the two resumed ones").isEqualTo(2);

        tracker.finish(fifth);
        assertThat(tracker.finishedBeyondCount()).isEqualTo(3);
        tracker.finish(first);
        assertThat(tracker.finishedBeyondCount()).as("offset 14, behind 13").isEqualTo(1);
        tracker.finish(fourth);
        assertThat(tracker.finishedBeyondCount()).isZero();
        assertThat(tracker.watermark()).contains(new Position.Offset(15));
    }

    @Test
    void aRecordDispatchedTwiceIsABug() {
        ProgressTracker tracker = kafkaResumedAt(10);
        tracker.dispatch(offset(10));

        assertThatThrownBy(() -> tracker.dispatch(offset(10))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("stream order");
    }

    @Test
    void withGapsBetweenOffsetsEachRecordFinishesAsItself() {
        ProgressTracker tracker = kafkaResumedAt(10);
        tracker.dispatch(offset(10));
        long twelve = tracker.dispatch(offset(12));
        tracker.dispatch(offset(13));

        tracker.finish(twelve);

        assertThat(tracker.finishedBeyond()).isEqualTo(new FinishedBeyond.Builder().add(2).build());
    }

    @Test
    void finishingARecordThatIsNotInFlightIsABug() {
        ProgressTracker tracker = kafkaResumedAt(10);
        long first = tracker.dispatch(offset(10));
        tracker.dispatch(offset(11));
        tracker.finish(first);

        assertThatThrownBy(() -> tracker.finish(12)).as("never dispatched").isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> tracker.finish(first)).as("finished already").isInstanceOf(IllegalStateException.class);
    }

    @Test
    void kafkaRecordsTheCheckpointRecordedAsFinishedAreKeptUntilReadAgain() {
        ProgressTracker notReadYet = kafkaResumedAt(10, 5);
        notReadYet.dispatch(offset(10));
        assertThat(notReadYet.finishedBeyond()).as("offset 15 not read again").isEqualTo(new FinishedBeyond.Builder().add(5).build());

        ProgressTracker readAgain = kafkaResumedAt(10, 2);
        readAgain.dispatch(offset(10));
        readAgain.dispatch(offset(11));
        assertThat(readAgain.dispatch(offset(12))).isNegative();
        assertThat(readAgain.finishedBeyond()).as("offset 12 read again, once").isEqualTo(new FinishedBeyond.Builder().add(2).build());
    }
}
