package dev.streamfleet.it.faults;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The checkpoint claims judged on made-up writes and lines: no servers, no clocks. */
class CheckpointHistoryTest {

    private static final String SHARD = "kinesis/s/shardId-0";
    private static final String PARTITION = "kafka/t/0";

    private final List<CheckpointHistory.Write> writes = new ArrayList<>();
    private final List<DeliveryReport.Line> lines = new ArrayList<>();

    private void processed(String id, String unit, String position, long millis) {
        lines.add(new DeliveryReport.Line(id, unit, "key-0", "w1", millis * 1_000, lines.size(), position));
    }

    private void wrote(String worker, String unit, String position, long epoch, long millis, boolean accepted) {
        writes.add(new CheckpointHistory.Write(worker, millis, unit, position, epoch, accepted));
    }

    private List<String> findings() {
        return new CheckpointHistory().judge(writes, lines).findings();
    }

    @Test
    void checkpointsThatMoveForwardOverProcessedRecordsGiveNoFinding() {
        processed("k-1", SHARD, "seq:9", 1_000);
        processed("k-2", SHARD, "seq:10", 1_100);
        processed("f-1", PARTITION, "offset:1", 1_000);
        wrote("w1", SHARD, "seq:9", 1, 1_050, true);
        wrote("w1", SHARD, "seq:10", 1, 1_200, true);
        wrote("w1", PARTITION, "offset:1", 1, 1_200, true);

        CheckpointHistory history = new CheckpointHistory().judge(writes, lines);

        assertThat(history.findings()).isEmpty();
        assertThat(history.summary()).isEqualTo("3 checkpoints accepted, 4 record coverings checked");
    }

    @Test
    void aCheckpointAcceptedBehindTheOneBeforeIsAFindingEvenAcrossOwners() {
        processed("k-1", SHARD, "seq:9", 1_000);
        processed("k-2", SHARD, "seq:10", 1_000);
        wrote("w1", SHARD, "seq:10", 1, 1_100, true);
        wrote("w2", SHARD, "seq:9", 2, 1_050, true);

        assertThat(findings()).containsExactly("the checkpoint of " + SHARD + " moved back from seq:10 (w1, epoch 1,"
                + " at 1100) to seq:9 (w2, epoch 2, at 1050)");
    }

    @Test
    void anOwnerThatTriesToMoveItsCheckpointBackIsAFindingThoughTheStoreRefusedIt() {
        processed("f-1", PARTITION, "offset:1", 1_000);
        processed("f-2", PARTITION, "offset:2", 1_000);
        wrote("w1", PARTITION, "offset:2", 3, 1_100, true);
        wrote("w1", PARTITION, "offset:1", 3, 1_200, false);

        assertThat(findings()).containsExactly("a checkpoint of " + PARTITION + " by w1 under epoch 3 tried to move back"
                + " from offset:2 (w1, epoch 3, at 1100) to offset:1 (w1, epoch 3, at 1200)");
    }

    @Test
    void aCheckpointCoveringARecordProcessedOnlyAfterItIsAFindingThatNamesTheRecord() {
        processed("f-1", PARTITION, "offset:1", 1_000);
        processed("f-2", PARTITION, "offset:2", 1_500);
        processed("f-3", PARTITION, "offset:3", 1_000);
        wrote("w1", PARTITION, "offset:2", 1, 1_200, true);

        assertThat(findings()).containsExactly("the checkpoint of " + PARTITION + " at offset:2 (w1, epoch 1, at 1200)"
                + " covers records not yet processed: [f-2 (offset:2, first processed at 1500)]");
    }

    @Test
    void aRejectedWriteCoversNothing() {
        processed("f-1", PARTITION, "offset:1", 1_500);
        wrote("w1", PARTITION, "offset:1", 1, 1_000, true);
        wrote("w2", PARTITION, "offset:1", 1, 1_200, false);

        assertThat(findings()).singleElement().asString().contains("at 1000").doesNotContain("at 1200");
    }

    @Test
    void aRecordProcessedTwiceCountsFromItsFirstProcessing() {
        processed("k-1", SHARD, "seq:5", 1_000);
        processed("k-1", SHARD, "seq:5", 3_000);
        wrote("w1", SHARD, "seq:5", 1, 1_100, true);

        assertThat(findings()).isEmpty();
    }

    @Test
    void noAcceptedCheckpointIsAFinding() {
        processed("k-1", SHARD, "seq:5", 1_000);
        wrote("w1", SHARD, "seq:5", 1, 1_100, false);

        assertThat(findings()).containsExactly("no checkpoint write was accepted: the checks on checkpoints saw nothing");
    }

    @Test
    void positionsCompareAsTheStreamNumbersThemNotAsText() {
        assertThat(CheckpointHistory.compare("seq:9", "seq:10")).isNegative();
        assertThat(CheckpointHistory.compare("seq:49590338271490256608559692538361571095921575989136588898",
                "seq:9")).isPositive();
        assertThat(CheckpointHistory.compare("seq:7.2", "seq:7.10")).isNegative();
        assertThat(CheckpointHistory.compare("offset:9", "offset:10")).isNegative();
        assertThat(CheckpointHistory.compare("TRIM_HORIZON", "seq:1")).as("a starting point precedes every record")
                .isNegative();
        assertThat(CheckpointHistory.compare("AT_TIMESTAMP:2026-12-08T00:00:00Z", "TRIM_HORIZON")).isZero();
        assertThatThrownBy(() -> CheckpointHistory.compare("seq:1", "shardId-1"))
                .hasMessageContaining("not a record's position: shardId-1");
    }

    @Test
    void aCheckpointAtTheStartingPointCoversNothingAndOneBackToItFromARecordIsAFinding() {
        processed("k-1", SHARD, "seq:5", 1_000);
        wrote("w1", SHARD, "TRIM_HORIZON", 1, 900, true);
        wrote("w1", SHARD, "seq:5", 1, 1_100, true);
        wrote("w1", SHARD, "TRIM_HORIZON", 1, 1_200, false);

        assertThat(findings()).singleElement().asString()
                .startsWith("a checkpoint of " + SHARD + " by w1 under epoch 1 tried to move back from seq:5");
    }

    @Test
    void acceptedCheckpointsThatCoverNoProcessedRecordAreAFinding() {
        processed("k-1", "kinesis/s/shardId-1", "seq:5", 1_000);
        wrote("w1", SHARD, "seq:5", 1, 1_100, true);

        assertThat(findings()).containsExactly("no accepted checkpoint covered a processed record: the check on coverage"
                + " saw nothing (do the writes' units match the lines' units?)");
    }

    @Test
    void whereAWorkerResumedIsItsLastClaimBeforeThen() {
        CheckpointHistory history = new CheckpointHistory().judge(List.of(), List.of(
                new CheckpointHistory.Claim("w2", 1_000, SHARD, ""),
                new CheckpointHistory.Claim("w2", 5_000, SHARD, "seq:7")), lines);

        assertThat(history.resumedBy("w2", SHARD, 500)).isEmpty();
        assertThat(history.resumedBy("w2", SHARD, 2_000)).contains(java.util.Optional.empty());
        assertThat(history.resumedBy("w2", SHARD, 6_000)).contains(java.util.Optional.of("seq:7"));
        assertThat(history.resumedBy("w1", SHARD, 6_000)).isEmpty();
    }
}
