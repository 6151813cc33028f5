package dev.streamfleet.worker.internal.kinesis;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class KplAggregationTest {

    private static KplAggregation.UserRecord user(String key, String data) {
        return new KplAggregation.UserRecord(key, data.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aggregatedRecordYieldsItsUserRecordsInOrderWithTheirKeys() {
        List<KplAggregation.UserRecord> users = List.of(user("a", "one"), user("b", "two"), user("a", "three"));

        List<KplAggregation.UserRecord> read = KplAggregation.deaggregate(KplAggregates.aggregate(users)).orElseThrow();

        assertThat(read).extracting(KplAggregation.UserRecord::partitionKey).containsExactly("a", "b", "a");
        assertThat(read).extracting(r -> new String(r.data(), StandardCharsets.UTF_8)).containsExactly("one", "two", "three");
    }

    @Test
    void largeAggregateWithMultiByteLengthsSurvives() {
        List<KplAggregation.UserRecord> users = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            users.add(user("key-" + (i % 7), "x".repeat(i)));
        }

        assertThat(KplAggregation.deaggregate(KplAggregates.aggregate(users)).orElseThrow()).hasSize(300)
                .last().satisfies(r -> assertThat(r.data()).hasSize(299));
    }

    @Test
    void ordinaryRecordIsNotAnAggregate() {
        assertThat(KplAggregation.deaggregate("just a record with enough bytes".getBytes(StandardCharsets.UTF_8))).isEmpty();
    }

    @Test
    void aggregateWithAWrongChecksumIsDeliveredAsAnOrdinaryRecord() {
        byte[] aggregate = KplAggregates.aggregate(List.of(user("a", "one")));
        aggregate[aggregate.length - 1] ^= 1;

        assertThat(KplAggregation.deaggregate(aggregate)).isEmpty();
    }

    @Test
    void anAggregateWhoseLastUserRecordIsMalformedIsOrdinaryBeforeAnyUserRecordIsTaken() {
        // Taken one at a time, the user records must still be all checked first: a reader that had
        // handed out the first could not take it back when the last turned out not to parse.
        byte[] body = {
                0x0A, 1, 'a',                                 // partition_key_table: "a"
                0x1A, 5, 0x08, 0, 0x1A, 1, 'x',               // record: key 0, data "x"
                0x1A, 5, 0x08, 7, 0x1A, 1, 'y'};              // record: key 7, beyond the table
        java.io.ByteArrayOutputStream aggregate = new java.io.ByteArrayOutputStream();
        aggregate.writeBytes(KplAggregation.MAGIC);
        aggregate.writeBytes(body);
        aggregate.writeBytes(KplAggregation.md5(body));

        assertThat(KplAggregation.userRecords(aggregate.toByteArray())).isEmpty();
        assertThat(KplAggregation.deaggregate(aggregate.toByteArray())).isEmpty();
    }
}
