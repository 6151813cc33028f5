package dev.streamfleet.checkpoint.internal.dynamodb;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.PositionCodec;
import dev.streamfleet.core.UnitId;

import java.math.BigInteger;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import static org.assertj.core.api.Assertions.assertThat;

/** A row's set of finished records is trusted only when this build's rules numbered it. */
class CheckpointRowsTest {

    private static final UnitId UNIT = UnitId.kinesis("orders", "shardId-000000000001");
    private static final Position.Sequence FIRST = new Position.Sequence(
            new BigInteger("49590338271490256608559692538361571095921575989136588899"), 3);
    private static final FinishedBeyond SOME = new FinishedBeyond.Builder().add(2).add(5).add(6).build().anchoredAt(FIRST);

    private static Map<String, AttributeValue> row(String finished) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put(CheckpointTableSchema.UNIT, AttributeValue.fromS(UNIT.toString()));
        item.put(CheckpointTableSchema.POSITION, AttributeValue.fromS("seq:49590338271490256608559692538361571095921575989136588898"));
        item.put(CheckpointTableSchema.STATE, AttributeValue.fromS("ACTIVE"));
        item.put(CheckpointTableSchema.FINISHED, AttributeValue.fromS(finished));
        return item;
    }

    @Test
    void aSetWrittenByThisBuildIsReadBack() {
        assertThat(CheckpointRows.toCheckpoint(UNIT, row(CheckpointRows.storedFinished(SOME))).finished()).isEqualTo(SOME);
    }

    @Test
    void aSetWrittenBeforeSetsWereVersionedIsNotTrusted() {
        // Version 1 counted KPL user records that this build drops: its ordinals name other records.
        assertThat(CheckpointRows.toCheckpoint(UNIT, row(SOME.encode())).finished()).isEqualTo(FinishedBeyond.NONE);
    }

    @Test
    void aSetOfAnotherVersionIsNotTrusted() {
        assertThat(CheckpointRows.toCheckpoint(UNIT, row("2." + SOME.encode())).finished()).isEqualTo(FinishedBeyond.NONE);
        assertThat(CheckpointRows.toCheckpoint(UNIT, row("4." + SOME.encode() + ".seq:1")).finished()).isEqualTo(FinishedBeyond.NONE);
    }

    @Test
    void aSetReachingFurtherThanAnyWorkerKeepsQuarantinesTheRowRatherThanSkippingThatMany() {
        FinishedBeyond forged = new FinishedBeyond.Builder().add(0, 1L << 40).build().anchoredAt(FIRST);
        Checkpoint row = CheckpointRows.toCheckpoint(UNIT, row(CheckpointRows.storedFinished(forged)));
        assertThat(row.quarantined()).hasValueSatisfying(reason -> assertThat(reason).contains("'finished'")
                .contains(Long.toString(1L << 40)));
        FinishedBeyond widest = new FinishedBeyond.Builder().add(2, FinishedBeyond.MAX_END).build().anchoredAt(FIRST);
        assertThat(CheckpointRows.toCheckpoint(UNIT, row(CheckpointRows.storedFinished(widest))).finished()).isEqualTo(widest);
    }

    @Test
    void aKinesisSetOfThisVersionThatDoesNotNameItsFirstRecordIsDamageAndQuarantined() {
        assertThat(CheckpointRows.toCheckpoint(UNIT, row(FinishedBeyond.ORDINALS_VERSION + "." + SOME.encode()))
                .quarantined()).hasValueSatisfying(reason -> assertThat(reason).contains("does not name the record"));
    }

    @Test
    void theFirstRecordIsStoredAfterTheSetAndASubSequenceSurvives() {
        String stored = CheckpointRows.storedFinished(SOME);
        assertThat(stored).isEqualTo(FinishedBeyond.ORDINALS_VERSION + "." + SOME.encode() + "."
                + PositionCodec.encode(FIRST));
        assertThat(CheckpointRows.toCheckpoint(UNIT, row(stored)).finished().first()).contains(FIRST);
    }

    @Test
    void aFirstRecordThatIsNoRecordAfterTheWatermarkQuarantinesTheRowInsteadOfWedgingTheClaim() {
        for (String first : new String[] {"seq:x", "LATEST", "seq:1", "offset:7"}) {
            Checkpoint row = CheckpointRows.toCheckpoint(UNIT, row(FinishedBeyond.ORDINALS_VERSION + "." + SOME.encode()
                    + "." + first));
            assertThat(row.quarantined()).as(first).hasValueSatisfying(reason -> assertThat(reason).contains("'finished'"));
        }
    }

    @Test
    void aDamagedSetQuarantinesTheRowInsteadOfWedgingTheClaim() {
        Checkpoint row = CheckpointRows.toCheckpoint(UNIT, row(FinishedBeyond.ORDINALS_VERSION + ".!!not base64!!"));
        assertThat(row.quarantined()).hasValueSatisfying(reason -> assertThat(reason)
                .contains("'finished' is the string '3.!!not base64!!'"));
        assertThat(row.position()).as("a quarantined row says nothing else").isEmpty();
    }
}
