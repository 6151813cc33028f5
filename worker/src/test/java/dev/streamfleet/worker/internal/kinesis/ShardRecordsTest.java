package dev.streamfleet.worker.internal.kinesis;

import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.StreamRecord;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.Record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ShardRecordsTest {

    private static final UnitId UNIT = UnitId.kinesis("orders", "shardId-000000000001");
    private static final BigInteger HALF = BigInteger.TWO.pow(127);
    /** The lower half of the hash-key space: what the first child of a split in the middle owns. */
    private static final HashKeyRange LOWER = new HashKeyRange(BigInteger.ZERO, HALF.subtract(BigInteger.ONE));

    private static Record record(long sequence, byte[] data, String key) {
        return Record.builder().sequenceNumber(Long.toString(sequence)).partitionKey(key)
                .data(SdkBytes.fromByteArray(data)).approximateArrivalTimestamp(Instant.EPOCH).build();
    }

    private static KplAggregation.UserRecord user(String key, Optional<String> hashKey, String data) {
        return new KplAggregation.UserRecord(key, hashKey, data.getBytes(StandardCharsets.UTF_8));
    }

    /** A partition key whose MD5 falls in the given half of the hash-key space. */
    private static String keyIn(boolean lower) {
        for (int i = 0; ; i++) {
            String key = "key-" + i;
            if (LOWER.contains(key, Optional.empty()) == lower) {
                return key;
            }
        }
    }

    @Test
    void aggregatedUserRecordsOfAnotherShardAreDroppedAndCountedInsteadOfDeliveredTwice() {
        String mine = keyIn(true);
        String theirs = keyIn(false);
        byte[] aggregate = KplAggregates.aggregate(List.of(user(mine, Optional.empty(), "a"),
                user(theirs, Optional.empty(), "b"), user(theirs, Optional.of("5"), "c"),
                user(mine, Optional.of(HALF.toString()), "d")));
        ShardRecords records = lower();
        List<StreamRecord> out = new ArrayList<>();

        records.offer(List.of(record(100, aggregate, "outer")));
        records.take(out, Integer.MAX_VALUE);

        assertThat(out).extracting(r -> new String(r.data(), StandardCharsets.UTF_8)).containsExactly("a", "c");
        assertThat(out.get(1).explicitHashKey()).contains("5");
        assertThat(records.takeDroppedOutsideRange()).isEqualTo(2);
        assertThat(records.takeDroppedOutsideRange()).isZero();
    }

    @Test
    void aRecordThatIsNotAnAggregateIsNeverDroppedWhateverItsKey() {
        ShardRecords records = lower();
        List<StreamRecord> out = new ArrayList<>();

        records.offer(List.of(record(100, "plain".getBytes(StandardCharsets.UTF_8), keyIn(false))));
        records.take(out, Integer.MAX_VALUE);

        assertThat(out).hasSize(1);
        assertThat(records.takeDroppedOutsideRange()).isZero();
    }

    @Test
    void noRecordIsTakenBeforeTheShardsRangeIsKnownSoEveryOwnerDeliversTheSameUserRecords() {
        byte[] aggregate = KplAggregates.aggregate(List.of(user(keyIn(false), Optional.empty(), "b")));
        ShardRecords records = new ShardRecords(UNIT);

        records.offer(List.of(record(100, aggregate, "outer")));
        assertThatThrownBy(() -> records.take(new ArrayList<>(), Integer.MAX_VALUE))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aShardMissingFromTheListingIsListedAgainOnlyAfterAPauseAndTheReasonIsKept() {
        java.util.concurrent.atomic.AtomicInteger listings = new java.util.concurrent.atomic.AtomicInteger();
        dev.streamfleet.coordinator.ManualScheduler time = new dev.streamfleet.coordinator.ManualScheduler();
        ShardRanges ranges = new ShardRanges("orders", () -> {
            listings.incrementAndGet();
            throw new dev.streamfleet.coordinator.CoordinatorException("listing the shards of Kinesis stream orders failed: throttled");
        }, time.clock);

        assertThat(ranges.of("shardId-000000000001")).isEmpty();
        assertThat(ranges.of("shardId-000000000001")).isEmpty();
        assertThat(listings).hasValue(1);
        assertThat(ranges.whyUnknown("shardId-000000000001")).endsWith("failed: throttled");
        time.advance(ShardRanges.RELIST_AFTER);
        ranges.of("shardId-000000000001");
        assertThat(listings).hasValue(2);
    }

    @Test
    void aReadThatEndsInsideAnAggregateResumesAfterItsLastUserRecordTakenNotAfterTheWholeAggregate() {
        String mine = keyIn(true);
        byte[] aggregate = KplAggregates.aggregate(List.of(user(mine, Optional.empty(), "a"),
                user(mine, Optional.empty(), "b"), user(mine, Optional.empty(), "c")));
        ShardRecords first = lower();
        first.offer(List.of(record(100, aggregate, "outer")));
        List<StreamRecord> slice = new ArrayList<>();

        first.take(slice, 2);

        assertThat(slice).extracting(r -> new String(r.data(), StandardCharsets.UTF_8)).containsExactly("a", "b");
        assertThat(first.hasPending()).as("the rest of the aggregate").isTrue();
        assertThat(first.lastReturned()).contains(new Position.Sequence(BigInteger.valueOf(100), 1));
        // A new read (an expired iterator, another owner) starts at the aggregate again and skips what was taken.
        ShardRecords again = lower();
        again.skipThrough((Position.Sequence) first.lastReturned().orElseThrow());
        List<StreamRecord> rest = new ArrayList<>();
        again.offer(List.of(record(100, aggregate, "outer")));
        again.take(rest, Integer.MAX_VALUE);
        assertThat(rest).extracting(r -> new String(r.data(), StandardCharsets.UTF_8)).containsExactly("c");
        List<StreamRecord> last = new ArrayList<>();
        first.take(last, 2);
        assertThat(last).extracting(r -> new String(r.data(), StandardCharsets.UTF_8)).containsExactly("c");
        assertThat(first.hasPending()).isFalse();
    }

    @Test
    void aResumeWhoseRecordWasTrimmedIsReportedOnceInsteadOfSkippingSilently() {
        ShardRecords records = lower();
        List<StreamRecord> out = new ArrayList<>();
        records.skipThrough(new Position.Sequence(BigInteger.valueOf(100), 0));

        records.offer(List.of());
        records.offer(List.of(record(130, "after the trim".getBytes(StandardCharsets.UTF_8), keyIn(true))));
        records.take(out, Integer.MAX_VALUE);

        assertThat(out).hasSize(1);
        assertThat(records.takeNotRetained()).hasValueSatisfying(why -> assertThat(why).contains("100", "130"));
        assertThat(records.takeNotRetained()).isEmpty();
    }

    @Test
    void aResumeThatFindsItsOwnRecordReportsNothing() {
        ShardRecords records = lower();
        List<StreamRecord> out = new ArrayList<>();
        records.skipThrough(new Position.Sequence(BigInteger.valueOf(100), 0));

        records.offer(List.of(record(100, "seen".getBytes(StandardCharsets.UTF_8), keyIn(true)),
                record(101, "new".getBytes(StandardCharsets.UTF_8), keyIn(true))));
        records.take(out, Integer.MAX_VALUE);
        records.offer(List.of(record(140, "later".getBytes(StandardCharsets.UTF_8), keyIn(true))));

        assertThat(out).extracting(r -> new String(r.data(), StandardCharsets.UTF_8)).containsExactly("new");
        assertThat(records.takeNotRetained()).isEmpty();
    }

    private static ShardRecords lower() {
        ShardRecords records = new ShardRecords(UNIT);
        records.range(LOWER);
        return records;
    }

    @Test
    void theBoundsOfARangeAreInsideIt() {
        assertThat(LOWER.contains("any", Optional.of("0"))).isTrue();
        assertThat(LOWER.contains("any", Optional.of(HALF.subtract(BigInteger.ONE).toString()))).isTrue();
        assertThat(LOWER.contains("any", Optional.of(HALF.toString()))).isFalse();
        assertThat(LOWER.contains("any", Optional.of("not a number"))).isFalse();
    }
}
