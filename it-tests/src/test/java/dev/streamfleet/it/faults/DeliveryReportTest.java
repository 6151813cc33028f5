package dev.streamfleet.it.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The report's judgement on made-up inputs: no servers, no clocks. */
class DeliveryReportTest {

    private static final String STREAM = "faults-stream";
    private static final String TOPIC = "faults-topic";
    /** 10 records/s for 2 s: a floor of 5 per source. */
    private static final int RATE = 10;
    private static final Duration RAN = Duration.ofSeconds(2);
    private static final List<LeaseWatcher.Tenure> W1_HOLDS_EVERYTHING = List.of(
            new LeaseWatcher.Tenure("kinesis/shard-0", "w1", 0, Long.MAX_VALUE),
            new LeaseWatcher.Tenure("kafka/topic-0", "w1", 0, Long.MAX_VALUE));

    private final List<LoadProducer.Produced> produced = new ArrayList<>();
    private final List<DeliveryReport.Line> lines = new ArrayList<>();

    /** {@code count} records of the source, each processed once by w1 while it held the unit. */
    private void producedAndProcessed(String prefix, String source, String unit, int count) {
        for (int n = 0; n < count; n++) {
            String key = "key-" + n % LoadProducer.KEYS;
            produced.add(new LoadProducer.Produced(prefix + "-" + n, key, source));
            lines.add(new DeliveryReport.Line(prefix + "-" + n, unit, key, "w1", 1_000_000L + n * 1_000L, lines.size()));
        }
    }

    private DeliveryReport judge(List<String> problems) {
        return new DeliveryReport("made up", 1_000).judge(new DeliveryReport.Load(List.of(STREAM, TOPIC), RATE, RAN,
                problems), produced, lines, W1_HOLDS_EVERYTHING, List.of());
    }

    @Test
    void bothSourcesAtTheirFloorWithoutProblemsGiveNoFinding() {
        producedAndProcessed("k", STREAM, "kinesis/shard-0", 5);
        producedAndProcessed("f", TOPIC, "kafka/topic-0", 5);

        DeliveryReport report = judge(List.of());

        assertThat(report.findings()).as(report.summary()).isEmpty();
        assertThat(report.summary()).contains("produced 10 {" + STREAM + "=5, " + TOPIC + "=5}");
    }

    @Test
    void aSourceThatProducedNothingIsAFindingThatStatesTheFloor() {
        producedAndProcessed("k", STREAM, "kinesis/shard-0", 20);

        DeliveryReport report = judge(List.of());

        assertThat(report.findings()).containsExactly("scenario 'made up': " + TOPIC + " produced and acknowledged 0"
                + " records, below the floor of 5 (a quarter of 10/s over 2.0 s of load)");
    }

    @Test
    void aSourceBelowItsFloorIsAFinding() {
        producedAndProcessed("k", STREAM, "kinesis/shard-0", 4);
        producedAndProcessed("f", TOPIC, "kafka/topic-0", 20);

        assertThat(judge(List.of()).findings()).singleElement().asString()
                .contains(STREAM + " produced and acknowledged 4 records, below the floor of 5");
    }

    @Test
    void eachProblemOfTheProducerIsAFindingThatNamesIt() {
        producedAndProcessed("k", STREAM, "kinesis/shard-0", 20);
        producedAndProcessed("f", TOPIC, "kafka/topic-0", 20);

        DeliveryReport report = judge(List.of("a Kafka send failed: TimeoutException", "Kinesis refused 2 of a batch",
                "a Kafka send failed: TimeoutException"));

        assertThat(report.findings()).containsExactly(
                "scenario 'made up': the load producer met a problem 2 times: a Kafka send failed: TimeoutException",
                "scenario 'made up': the load producer met a problem: Kinesis refused 2 of a batch");
    }

    @Test
    void aLoadThatRanNoTimeStillNeedsOneRecordPerSource() {
        assertThat(new DeliveryReport.Load(List.of(STREAM), RATE, Duration.ZERO, List.of()).floor()).isEqualTo(1);
    }

    /** w1 held the shard until its kill at 10 s; w2 from 11 s. */
    private static final List<LeaseWatcher.Tenure> W1_THEN_W2 = List.of(
            new LeaseWatcher.Tenure("kinesis/shard-0", "w1", 0, 10_000),
            new LeaseWatcher.Tenure("kinesis/shard-0", "w2", 11_000, Long.MAX_VALUE));
    private static final List<DeliveryReport.Crash> W1_KILLED = List.of(
            new DeliveryReport.Crash("kill -9 of w1", Set.of("w1"), 10_000, 10_000));

    /** Record {@code n} of the stream (key {@code key-<n % 16>}), processed by {@code worker} at {@code millis}. */
    private void processed(int n, String worker, long millis) {
        String key = "key-" + n % LoadProducer.KEYS;
        if (produced.stream().noneMatch(p -> p.id().equals("k-" + n))) {
            produced.add(new LoadProducer.Produced("k-" + n, key, STREAM));
        }
        lines.add(new DeliveryReport.Line("k-" + n, "kinesis/shard-0", key, worker, millis * 1_000, lines.size()));
    }

    private DeliveryReport judgeCrash(boolean outOfOrder) {
        return new DeliveryReport("made up", 1_000, outOfOrder).judge(new DeliveryReport.Load(List.of(STREAM), RATE,
                Duration.ZERO, List.of()), produced, lines, W1_THEN_W2, W1_KILLED);
    }

    @Test
    void outOfOrderACrashMayReDeliverTheTailOfEachKeyThoughNotOneRunOfTheUnit() {
        // Checkpointed: k-0 (key-0). Not: k-1 and k-17 (key-1), a batch in hand written record by record.
        processed(1, "w1", 9_000);
        processed(0, "w1", 9_100);
        processed(17, "w1", 9_200);
        processed(16, "w1", 9_300);
        processed(1, "w2", 12_000);
        processed(17, "w2", 12_010);
        processed(16, "w2", 12_020);
        processed(32, "w2", 12_030);

        DeliveryReport outOfOrder = judgeCrash(true);
        DeliveryReport serial = judgeCrash(false);

        assertThat(outOfOrder.findings()).as(outOfOrder.summary()).isEmpty();
        assertThat(outOfOrder.totalDuplicates()).isEqualTo(3);
        assertThat(serial.findings()).as("one run of the unit, as at parallelism 1").containsExactly("scenario 'made up':"
                + " re-delivered records of kinesis/shard-0 w1 are not one run since a checkpoint; not again: [k-0]");
    }

    @Test
    void outOfOrderAKeyWhoseReDeliveredRecordsSkipOneIsAFinding() {
        processed(0, "w1", 9_000);
        processed(16, "w1", 9_100);
        processed(32, "w1", 9_200);
        processed(0, "w2", 12_000);
        processed(32, "w2", 12_010);

        assertThat(judgeCrash(true).findings()).containsExactly("scenario 'made up': re-delivered records of"
                + " kinesis/shard-0 w1 key key-0 are not one run since a checkpoint; not again: [k-16]");
    }

    @Test
    void aLineOfTheOldOwnerJustAfterTheNextOwnersLeaseWasCreatedIsTwoReadersThoughTheWatcherSawTheDeleteLater() {
        // The watcher saw w1's node deleted at 12 s; w2's node was created at 11 s.
        List<LeaseWatcher.Tenure> tenures = LeaseWatcher.boundedBySuccessors(List.of(
                new LeaseWatcher.Tenure("kinesis/shard-0", "w1", 0, 12_000),
                new LeaseWatcher.Tenure("kinesis/shard-0", "w2", 11_000, Long.MAX_VALUE)));
        processed(0, "w1", 10_000);
        processed(1, "w1", 11_050);
        processed(2, "w2", 11_100);

        DeliveryReport report = new DeliveryReport("made up", 1_000).judge(new DeliveryReport.Load(List.of(STREAM), RATE,
                Duration.ZERO, List.of()), produced, lines, tenures, List.of());

        assertThat(tenures).contains(new LeaseWatcher.Tenure("kinesis/shard-0", "w1", 0, 11_000));
        assertThat(report.findings()).containsExactly(
                "scenario 'made up': processed without holding the lease: kinesis/shard-0 by w1: [k-1]",
                "scenario 'made up': two readers: kinesis/shard-0 by w1 while w2 held its lease: [k-1]");
    }

    @Test
    void withCheckpointsKnownACrashExplainsEveryRecordBeyondTheLastCheckpointHoweverLongAgoItWasProcessed() {
        // w1 processed k-0 (checkpointed at 2 s), then k-1 and k-2 in a long batch from 3 s; killed at 10 s.
        lines.add(new DeliveryReport.Line("k-0", "kinesis/shard-0", "key-0", "w1", 1_000_000, 0, "seq:100"));
        lines.add(new DeliveryReport.Line("k-1", "kinesis/shard-0", "key-1", "w1", 3_000_000, 1, "seq:101"));
        lines.add(new DeliveryReport.Line("k-2", "kinesis/shard-0", "key-2", "w1", 6_000_000, 2, "seq:102"));
        lines.add(new DeliveryReport.Line("k-1", "kinesis/shard-0", "key-1", "w2", 12_000_000, 3, "seq:101"));
        lines.add(new DeliveryReport.Line("k-2", "kinesis/shard-0", "key-2", "w2", 12_000_000, 4, "seq:102"));
        List.of("k-0", "k-1", "k-2").forEach(id -> produced.add(new LoadProducer.Produced(id, "key-" + id.charAt(2), STREAM)));
        CheckpointHistory checkpoints = new CheckpointHistory().judge(List.of(
                new CheckpointHistory.Write("w1", 2_000, "kinesis/shard-0", "seq:100", 1, true)), lines);

        DeliveryReport byTime = judgeCrash(false);
        DeliveryReport byCheckpoint = new DeliveryReport("made up", 1_000).withCheckpoints(checkpoints).judge(
                new DeliveryReport.Load(List.of(STREAM), RATE, Duration.ZERO, List.of()), produced, lines, W1_THEN_W2, W1_KILLED);

        assertThat(byTime.findings()).as("by time, k-1 and k-2 lie 7 s and 4 s before the kill").singleElement().asString()
                .contains("processed twice without a crash that explains it: [k-1, k-2]");
        assertThat(byCheckpoint.findings()).as(byCheckpoint.summary()).isEmpty();
    }

    @Test
    void withCheckpointsKnownARecordAtOrBeforeTheLastCheckpointIsNotExplainedByTheCrash() {
        lines.add(new DeliveryReport.Line("k-0", "kinesis/shard-0", "key-0", "w1", 9_000_000, 0, "seq:100"));
        lines.add(new DeliveryReport.Line("k-0", "kinesis/shard-0", "key-0", "w2", 12_000_000, 1, "seq:100"));
        produced.add(new LoadProducer.Produced("k-0", "key-0", STREAM));
        CheckpointHistory checkpoints = new CheckpointHistory().judge(List.of(
                new CheckpointHistory.Write("w1", 9_500, "kinesis/shard-0", "seq:100", 1, true)), lines);

        DeliveryReport report = new DeliveryReport("made up", 1_000).withCheckpoints(checkpoints).judge(
                new DeliveryReport.Load(List.of(STREAM), RATE, Duration.ZERO, List.of()), produced, lines, W1_THEN_W2, W1_KILLED);

        assertThat(report.findings()).singleElement().asString()
                .contains("1 records of kinesis/shard-0 (first by w1, again by w2) were processed twice without a crash");
    }

    /** k-0 (seq:100, checkpointed by w1 at 2 s) and k-1 (seq:101), processed by w1, then again by w2 at 12 s. */
    private CheckpointHistory w1ProcessedTwoAndW2ResumedFrom(String resumed) {
        lines.add(new DeliveryReport.Line("k-0", "kinesis/shard-0", "key-0", "w1", 1_000_000, 0, "seq:100"));
        lines.add(new DeliveryReport.Line("k-1", "kinesis/shard-0", "key-1", "w1", 3_000_000, 1, "seq:101"));
        lines.add(new DeliveryReport.Line("k-1", "kinesis/shard-0", "key-1", "w2", 12_000_000, 2, "seq:101"));
        List.of("k-0", "k-1").forEach(id -> produced.add(new LoadProducer.Produced(id, "key-" + id.charAt(2), STREAM)));
        return new CheckpointHistory().judge(List.of(
                        new CheckpointHistory.Write("w1", 2_000, "kinesis/shard-0", "seq:100", 1, true)),
                List.of(new CheckpointHistory.Claim("w2", 11_000, "kinesis/shard-0", resumed)), lines);
    }

    private DeliveryReport judgeWith(CheckpointHistory checkpoints, List<LeaseWatcher.Tenure> tenures) {
        return new DeliveryReport("made up", 1_000).withCheckpoints(checkpoints).judge(
                new DeliveryReport.Load(List.of(STREAM), RATE, Duration.ZERO, List.of()), produced, lines, tenures, W1_KILLED);
    }

    @Test
    void aSuccessorThatResumedBeforeTheRecordIsExplainedByTheCrash() {
        assertThat(judgeWith(w1ProcessedTwoAndW2ResumedFrom("seq:100"), W1_THEN_W2).findings()).isEmpty();
    }

    @Test
    void aSuccessorThatResumedPastTheRecordAndStillProcessedItAgainIsNotExplained() {
        assertThat(judgeWith(w1ProcessedTwoAndW2ResumedFrom("seq:101"), W1_THEN_W2).findings()).singleElement().asString()
                .contains("1 records of kinesis/shard-0 (first by w1, again by w2) were processed twice without a crash");
    }

    @Test
    void aKillAfterTheWorkerHadHandedTheUnitOverDoesNotExplainItsRepeats() {
        // w1 handed the shard to w2 at 5 s (a graceful move that should have written its final checkpoint), killed at 10 s.
        List<LeaseWatcher.Tenure> handedOver = List.of(
                new LeaseWatcher.Tenure("kinesis/shard-0", "w1", 0, 5_000),
                new LeaseWatcher.Tenure("kinesis/shard-0", "w2", 5_000, Long.MAX_VALUE));

        assertThat(judgeWith(w1ProcessedTwoAndW2ResumedFrom("seq:100"), handedOver).findings()).singleElement().asString()
                .contains("were processed twice without a crash that explains it: [k-1]");
    }
}
