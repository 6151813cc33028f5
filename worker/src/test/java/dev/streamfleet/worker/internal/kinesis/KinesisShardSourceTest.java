package dev.streamfleet.worker.internal.kinesis;

import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.Fetch;
import dev.streamfleet.worker.StreamRecord;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorResponse;
import software.amazon.awssdk.services.kinesis.model.Record;

import static org.assertj.core.api.Assertions.assertThat;

/** The polling reader against a scripted Kinesis: what one fetch hands out, and when the shard ends. */
class KinesisShardSourceTest {

    private static final UnitId UNIT = UnitId.kinesis("orders", "shardId-000000000000");
    private static final HashKeyRange ALL = new HashKeyRange(BigInteger.ZERO, BigInteger.TWO.pow(128).subtract(BigInteger.ONE));

    /** One GetRecords answer with every record of a closed shard, then nothing. */
    private static final class OneRead implements KinesisClient {
        final List<Record> records;
        int getRecords;

        OneRead(List<Record> records) {
            this.records = records;
        }

        @Override
        public GetShardIteratorResponse getShardIterator(GetShardIteratorRequest request) {
            return GetShardIteratorResponse.builder().shardIterator("iterator-0").build();
        }

        @Override
        public GetRecordsResponse getRecords(GetRecordsRequest request) {
            getRecords++;
            return GetRecordsResponse.builder().records(getRecords == 1 ? records : List.of()).millisBehindLatest(0L)
                    .nextShardIterator(null).build();
        }

        @Override
        public String serviceName() {
            return "kinesis";
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aReadOfKplAggregatesOfTinyRecordsIsHandedOutInSlicesSoTheInFlightBoundHolds() {
        List<Record> aggregates = new ArrayList<>();
        int perAggregate = 1_000;
        for (int a = 0; a < 25; a++) {
            List<KplAggregation.UserRecord> users = new ArrayList<>();
            for (int u = 0; u < perAggregate; u++) {
                users.add(new KplAggregation.UserRecord("k" + (u % 7), Optional.empty(),
                        Integer.toString(a * perAggregate + u).getBytes(StandardCharsets.UTF_8)));
            }
            aggregates.add(Record.builder().sequenceNumber(Long.toString(1_000 + a)).partitionKey("outer")
                    .data(SdkBytes.fromByteArray(KplAggregates.aggregate(users)))
                    .approximateArrivalTimestamp(Instant.EPOCH).build());
        }
        OneRead kinesis = new OneRead(aggregates);
        KinesisShardSource source = new KinesisShardSource(kinesis, KinesisSourceConfig.of("orders", Position.TRIM_HORIZON),
                UNIT, Optional.empty(), new ShardRanges("orders", () -> Map.of(UNIT.shard(), ALL), Clock.systemUTC()));

        List<Integer> sizes = new ArrayList<>();
        List<String> delivered = new ArrayList<>();
        Fetch fetch;
        do {
            fetch = source.fetch();
            sizes.add(fetch.records().size());
            for (StreamRecord record : fetch.records()) {
                delivered.add(new String(record.data(), StandardCharsets.UTF_8));
            }
        } while (!fetch.endOfUnit() && sizes.size() < 10);

        assertThat(kinesis.getRecords).as("one read of the shard").isEqualTo(1);
        assertThat(sizes).as("user records per fetch").allMatch(size -> size <= KinesisShardSource.USER_RECORDS_PER_FETCH)
                .hasSize(3);
        assertThat(delivered).hasSize(25_000).doesNotHaveDuplicates();
        assertThat(delivered.get(0)).isEqualTo("0");
        assertThat(delivered.get(24_999)).isEqualTo("24999");
    }

    @Test
    void anAggregateOfMoreUserRecordsThanASliceIsSplitAcrossSlicesSoOneMegabyteOfTinyRecordsCannotOvershootTheBounds() {
        // One 1 MB Kinesis record holds about 150,000 user records of one byte: as many record objects
        // at once as 150 times the default maxInFlight, whatever the slice size, if it went out whole.
        List<KplAggregation.UserRecord> users = new ArrayList<>();
        for (int u = 0; u < 25_000; u++) {
            users.add(new KplAggregation.UserRecord("k" + (u % 7), Optional.empty(),
                    Integer.toString(u).getBytes(StandardCharsets.UTF_8)));
        }
        OneRead kinesis = new OneRead(List.of(Record.builder().sequenceNumber("1000").partitionKey("outer")
                .data(SdkBytes.fromByteArray(KplAggregates.aggregate(users))).approximateArrivalTimestamp(Instant.EPOCH)
                .build()));
        KinesisShardSource source = new KinesisShardSource(kinesis, KinesisSourceConfig.of("orders", Position.TRIM_HORIZON),
                UNIT, Optional.empty(), new ShardRanges("orders", () -> Map.of(UNIT.shard(), ALL), Clock.systemUTC()));

        List<Integer> sizes = new ArrayList<>();
        List<Long> subSequences = new ArrayList<>();
        Fetch fetch;
        do {
            fetch = source.fetch();
            sizes.add(fetch.records().size());
            fetch.records().forEach(r -> subSequences.add(((Position.Sequence) r.position()).subSequence()));
        } while (!fetch.endOfUnit() && sizes.size() < 10);

        assertThat(sizes).as("user records per fetch").containsExactly(KinesisShardSource.USER_RECORDS_PER_FETCH,
                KinesisShardSource.USER_RECORDS_PER_FETCH, 5_000);
        assertThat(fetch.endOfUnit()).as("the shard ends with the last slice").isTrue();
        assertThat(subSequences).as("in order, none twice, none left out").hasSize(25_000)
                .isEqualTo(java.util.stream.LongStream.range(0, 25_000).boxed().toList());
    }
}
