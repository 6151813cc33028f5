package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StalledUnitsTest {

    private static final UnitId UNIT = UnitId.kafka("orders", 0);
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private final StalledUnits troubles = new StalledUnits();

    @Test
    void aCheckpointWriteThatHasNotReturnedShowsOnceItTakesLongerThanAWriteShould() {
        troubles.checkpointWriting(UNIT, T0);

        assertThat(troubles.retryingSnapshot(T0.plus(StalledUnits.SLOW_CHECKPOINT).minusMillis(1)))
                .as("a write still in its normal time").isEmpty();
        assertThat(troubles.retryingSnapshot(T0.plusSeconds(7)))
                .containsEntry(UNIT, "checkpoint write not answered for 7 s");
    }

    @Test
    void aFailedCheckpointWriteShowsWithItsReasonUntilAWriteLands() {
        troubles.checkpointWriting(UNIT, T0);
        troubles.checkpointFailed(UNIT, "checkpoint: DynamoDB at http://127.0.0.1:1: UpdateItem failed 5 times");
        assertThat(troubles.retryingSnapshot(T0)).containsEntry(UNIT,
                "checkpoint write failed, will retry; last failure: checkpoint: DynamoDB at http://127.0.0.1:1:"
                        + " UpdateItem failed 5 times");

        troubles.checkpointWriting(UNIT, T0.plusSeconds(30));
        assertThat(troubles.retryingSnapshot(T0.plusSeconds(30))).as("trying again: the failure still stands")
                .containsEntry(UNIT, "checkpoint write not answered for 0 s; last failure: checkpoint: DynamoDB at"
                        + " http://127.0.0.1:1: UpdateItem failed 5 times");

        troubles.checkpointRecovered(UNIT);
        assertThat(troubles.retryingSnapshot(T0.plusSeconds(31))).as("a write landed").isEmpty();
    }

    @Test
    void aFailingReadAndAFailingCheckpointOfOneUnitAreBothShown() {
        troubles.retrying(UNIT, "Kafka at 127.0.0.1:9092: timed out");
        troubles.checkpointFailed(UNIT, "checkpoint: the table did not answer");

        assertThat(troubles.retryingSnapshot(T0)).containsEntry(UNIT, "Kafka at 127.0.0.1:9092: timed out;"
                + " checkpoint write failed, will retry; last failure: checkpoint: the table did not answer");

        troubles.readRecovered(UNIT);
        assertThat(troubles.retryingSnapshot(T0)).as("a read succeeding clears only the read's reason")
                .containsEntry(UNIT, "checkpoint write failed, will retry; last failure: checkpoint: the table did not answer");
    }
}
