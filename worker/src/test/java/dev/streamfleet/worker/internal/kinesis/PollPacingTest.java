package dev.streamfleet.worker.internal.kinesis;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PollPacingTest {

    private final PollPacing pacing = new PollPacing(Polling.DEFAULT);

    @Test
    void aShardWithRecordsIsReadAtItsPaceAndNoFaster() {
        assertThat(pacing.next(false, Duration.ofMillis(30))).isEqualTo(Duration.ofMillis(170));
        assertThat(pacing.next(false, Duration.ofMillis(500))).isZero();
    }

    @Test
    void aCaughtUpShardIsReadLessAndLessOftenUpToTheCeiling() {
        assertThat(pacing.next(true, Duration.ZERO)).isEqualTo(Duration.ofMillis(250));
        assertThat(pacing.next(true, Duration.ZERO)).isEqualTo(Duration.ofMillis(500));
        assertThat(pacing.next(true, Duration.ZERO)).isEqualTo(Duration.ofSeconds(1));
        for (int i = 0; i < 100; i++) {
            assertThat(pacing.next(true, Duration.ZERO)).isEqualTo(Duration.ofSeconds(1));
        }
    }

    @Test
    void recordsAfterAnIdleSpellBringThePaceBackAtOnce() {
        for (int i = 0; i < 10; i++) {
            pacing.next(true, Duration.ZERO);
        }
        assertThat(pacing.next(false, Duration.ofMillis(10))).isEqualTo(Duration.ofMillis(190));
        assertThat(pacing.next(true, Duration.ZERO)).as("empty again: from the first pause").isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void aLowerReadBudgetLeavesRoomForTheStreamsOtherConsumers() {
        PollPacing polite = new PollPacing(new Polling(Duration.ofMillis(250), Duration.ofSeconds(1), 2));

        assertThat(polite.next(false, Duration.ZERO)).isEqualTo(Duration.ofMillis(500));
        assertThat(polite.next(true, Duration.ZERO)).as("the budget wins over a shorter idle pause").isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void aCaughtUpShardCostsAtMostOneReadPerSecondOfTheFiveItsReadersShare() {
        Duration waited = Duration.ZERO;
        int reads = 0;
        while (waited.compareTo(Duration.ofMinutes(1)) < 0) {
            waited = waited.plus(pacing.next(true, Duration.ZERO));
            reads++;
        }
        assertThat(reads).as("reads of an idle shard in a minute").isLessThanOrEqualTo(62);
    }
}
