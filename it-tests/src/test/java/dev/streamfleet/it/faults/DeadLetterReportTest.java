package dev.streamfleet.it.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The dead-letter judgement, and "nothing lost" with dead letters, on made-up inputs: no servers, no clocks. */
class DeadLetterReportTest {

    private static final String STREAM = "faults-stream";
    private static final String UNIT = "kinesis/" + STREAM + "/shard-0";
    private static final int EVERY = 10;
    private static final int ATTEMPTS = 2;
    /** w1 held the shard until its kill at 10 s; w2 from 11 s. */
    private static final List<LeaseWatcher.Tenure> W1_THEN_W2 = List.of(
            new LeaseWatcher.Tenure(UNIT, "w1", 0, 10_000),
            new LeaseWatcher.Tenure(UNIT, "w2", 11_000, Long.MAX_VALUE));
    private static final List<DeliveryReport.Crash> W1_KILLED = List.of(
            new DeliveryReport.Crash("kill -9 of w1", Set.of("w1"), 10_000, 10_000));

    private final List<LoadProducer.Produced> produced = new ArrayList<>();
    private final List<DeliveryReport.Line> lines = new ArrayList<>();
    private final List<DeadLetterReport.Letter> letters = new ArrayList<>();

    /** Records k-0 … k-(count-1): the poison ones (k-7, k-17, …) dead-lettered by w1 at 1 s, the rest processed. */
    private void producedAndHandled(int count) {
        for (int n = 0; n < count; n++) {
            String id = "k-" + n;
            produced.add(new LoadProducer.Produced(id, key(n), STREAM));
            if (SlowJsonlProcessors.isPoison(id, EVERY)) {
                letters.add(letter(n, 1_000));
            } else {
                lines.add(new DeliveryReport.Line(id, UNIT, key(n), "w1", 1_000_000L + n * 1_000L, lines.size()));
            }
        }
    }

    private static String key(int n) {
        return "key-" + n % LoadProducer.KEYS;
    }

    private static DeadLetterReport.Letter letter(int n, long sentMillis) {
        return new DeadLetterReport.Letter(UNIT, "seq:" + (1000 + n), key(n), ATTEMPTS,
                "java.lang.IllegalStateException: poison record k-" + n, "k-" + n, sentMillis);
    }

    private DeadLetterReport judge(long floor, List<DeliveryReport.Crash> crashes) {
        return new DeadLetterReport("made up", 1_000, id -> SlowJsonlProcessors.isPoison(id, EVERY), ATTEMPTS)
                .judge(List.of(STREAM), floor, produced, lines, letters, List.of(), W1_THEN_W2, crashes);
    }

    @Test
    void thePoisonRuleNamesTheSameRecordsOfEitherSourceAndNoOther() {
        assertThat(SlowJsonlProcessors.isPoison("k-7", EVERY)).isTrue();
        assertThat(SlowJsonlProcessors.isPoison("f-27", EVERY)).isTrue();
        assertThat(SlowJsonlProcessors.isPoison("k-8", EVERY)).isFalse();
        assertThat(SlowJsonlProcessors.isPoison("k-7", 0)).as("no rule, no poison").isFalse();
    }

    @Test
    void everyPoisonRecordLetteredOnceAndEveryOtherProcessedGivesNoFinding() {
        producedAndHandled(30);

        DeadLetterReport report = judge(3, List.of());

        assertThat(report.findings()).as(report.summary()).isEmpty();
        assertThat(report.deadLettered()).containsExactlyInAnyOrder("k-7", "k-17", "k-27");
        assertThat(report.summary()).contains("3 dead letters of 3 records {" + STREAM + "=3}");
    }

    @Test
    void fewerLettersThanTheFloorIsAFindingSoTheChecksCannotPassOnNothing() {
        producedAndHandled(5);

        assertThat(judge(1, List.of()).findings()).containsExactly("scenario 'made up': " + STREAM
                + " had 0 records dead-lettered, below the floor of 1");
    }

    @Test
    void aPoisonRecordNeitherLetteredNorProcessedIsAFindingAndLostForTheDeliveryReport() {
        producedAndHandled(30);
        letters.removeIf(letter -> letter.id().equals("k-17"));

        DeadLetterReport report = judge(1, List.of());
        DeliveryReport delivery = new DeliveryReport("made up", 1_000).withDeadLettered(report.deadLettered())
                .judge(new DeliveryReport.Load(List.of(STREAM), 10, Duration.ZERO, List.of()), produced, lines,
                        W1_THEN_W2, List.of());

        assertThat(report.findings()).containsExactly("scenario 'made up': 1 poison records of " + STREAM
                + " were never dead-lettered: [k-17]");
        assertThat(delivery.findings()).containsExactly("scenario 'made up': lost 1 records of " + STREAM
                + " key-1: [k-17]");
    }

    @Test
    void deadLetteredRecordsCountAsDeliveredForNothingLost() {
        producedAndHandled(30);

        DeliveryReport without = new DeliveryReport("made up", 1_000).judge(new DeliveryReport.Load(List.of(STREAM), 10,
                Duration.ZERO, List.of()), produced, lines, W1_THEN_W2, List.of());
        DeliveryReport with = new DeliveryReport("made up", 1_000).withDeadLettered(judge(1, List.of()).deadLettered())
                .judge(new DeliveryReport.Load(List.of(STREAM), 10, Duration.ZERO, List.of()), produced, lines,
                        W1_THEN_W2, List.of());

        assertThat(without.findings()).as("the poison records are not in any line").hasSize(3);
        assertThat(with.findings()).as(with.summary()).isEmpty();
    }

    @Test
    void aPoisonRecordProcessedIsAFinding() {
        producedAndHandled(10);
        lines.add(new DeliveryReport.Line("k-7", UNIT, key(7), "w2", 12_000_000L, lines.size()));

        assertThat(judge(1, List.of()).findings()).containsExactly("scenario 'made up': poison records processed, "
                + UNIT + " by w2: [k-7]");
    }

    @Test
    void aHealthyRecordDeadLetteredIsAFinding() {
        producedAndHandled(10);
        letters.add(letter(3, 2_000));

        assertThat(judge(1, List.of()).findings()).containsExactly("scenario 'made up': 1 dead letters of healthy"
                + " records: [k-3]");
    }

    @Test
    void aLetterThatMisstatesItsRecordIsAFinding() {
        producedAndHandled(10);
        letters.set(0, new DeadLetterReport.Letter(UNIT, "seq:1007", "key-9", ATTEMPTS, "poison record k-7", "k-7", 1_000));

        assertThat(judge(1, List.of()).findings()).containsExactly("scenario 'made up': 1 dead letters naming another"
                + " partition key: [k-7: 'key-9', produced with 'key-7']");
    }

    @Test
    void aLetterWrittenAgainAfterItsWriterWasKilledIsExplained() {
        producedAndHandled(10);
        letters.set(0, letter(7, 9_500));
        letters.add(letter(7, 11_500));

        DeadLetterReport report = judge(1, W1_KILLED);

        assertThat(report.findings()).as(report.summary()).isEmpty();
        assertThat(report.repeated()).isEqualTo(1);
    }

    @Test
    void aLetterWrittenAgainWithoutACrashIsAFinding() {
        producedAndHandled(10);
        letters.set(0, letter(7, 9_500));
        letters.add(letter(7, 11_500));

        assertThat(judge(1, List.of()).findings()).containsExactly("scenario 'made up': 1 dead letters of " + UNIT
                + " (first while [w1] held it) were written twice without a crash that explains it: [k-7 at 9500 and 11500]");
    }

    @Test
    void aLetterWrittenAgainLongBeforeItsWriterWasKilledIsAFinding() {
        producedAndHandled(10);
        letters.set(0, letter(7, 2_000));
        letters.add(letter(7, 11_500));

        assertThat(judge(1, W1_KILLED).findings()).singleElement().asString()
                .contains("were written twice without a crash that explains it: [k-7 at 2000 and 11500]");
    }
}
