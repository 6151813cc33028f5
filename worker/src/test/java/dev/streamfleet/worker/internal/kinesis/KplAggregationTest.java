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
}
