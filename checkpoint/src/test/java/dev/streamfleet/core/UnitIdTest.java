package dev.streamfleet.core;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UnitIdTest {

    @Test
    void idsSurviveARoundTripThroughText() {
        UnitId shard = UnitId.kinesis("orders", "shardId-000000000007");
        UnitId partition = UnitId.kafka("payments.v2", 12);

        assertThat(shard).hasToString("kinesis/orders/shardId-000000000007");
        assertThat(partition).hasToString("kafka/payments.v2/12");
        assertThat(UnitId.parse(shard.toString())).isEqualTo(shard);
        assertThat(UnitId.parse(partition.toString())).isEqualTo(partition);
    }

    @Test
    void malformedIdsAreRejectedWithTheTextInTheMessage() {
        assertThatThrownBy(() -> UnitId.parse("kinesis/orders")).hasMessageContaining("'kinesis/orders'");
        assertThatThrownBy(() -> UnitId.parse("pulsar/orders/1")).hasMessageContaining("pulsar");
        assertThatThrownBy(() -> UnitId.parse("kafka/orders/-1")).hasMessageContaining("-1");
        assertThatThrownBy(() -> UnitId.parse("kafka/a b/1")).hasMessageContaining("a b");
    }

    @Test
    void aPartitionBeyondWhatKafkaNumbersIsRejectedWhereItIsParsed() {
        assertThat(UnitId.parse("kafka/orders/2147483647").shard()).isEqualTo("2147483647");
        assertThatThrownBy(() -> UnitId.parse("kafka/orders/2147483648")).hasMessageContaining("2147483648");
        assertThatThrownBy(() -> UnitId.parse("kafka/orders/9999999999")).hasMessageContaining("9999999999");
    }

    @Test
    void idsOrderByKindThenStreamThenShard() {
        UnitId kafka = UnitId.kafka("z", 0);
        UnitId kinesisA = UnitId.kinesis("a", "shardId-000000000001");
        UnitId kinesisB = UnitId.kinesis("b", "shardId-000000000000");

        assertThat(kafka).isLessThan(kinesisA);
        assertThat(kinesisA).isGreaterThan(kafka).isLessThan(kinesisB);
    }

    @Test
    void aBadShardIdIsCalledAShardIdAndABadPartitionAPartition() {
        assertThatThrownBy(() -> UnitId.kinesis("orders", "shard/1")).hasMessageStartingWith("invalid shard id 'shard/1'");
        assertThatThrownBy(() -> UnitId.parse("kafka/orders/x")).hasMessageStartingWith("invalid partition 'x'");
    }

    /** Fixed numbers, not a second computation: the enum constant's identity hash would differ from run to run. */
    @Test
    void aUnitHashesAlikeInEveryRun() {
        assertThat(UnitId.kafka("orders", 7).hashCode()).isEqualTo(-1435971720);
        assertThat(UnitId.kinesis("orders", "shardId-000000000007").hashCode()).isEqualTo(-154742658);
    }
}
