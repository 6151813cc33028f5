package dev.streamfleet.checkpoint.internal.dynamodb;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointState;
import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.PositionCodec;
import dev.streamfleet.core.UnitId;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A row that this build did not write as it stands (edited by hand, renamed, written by a newer
 * build) is quarantined with a reason naming the attribute and its value: never read as a row
 * without a position, which would restart the unit at its initial position, and never an
 * exception, which would make every claim, listing and rebalance fail.
 */
class UntrustedRowsTest {

    private static final String APP = "orders-app";
    private static final UnitId UNIT = UnitId.kinesis("orders", "shardId-000000000001");
    private static final String SEQUENCE = "49590338271490256608559692538361571095921575989136588898";
    private static final Position.Sequence POSITION = Position.Sequence.of(SEQUENCE);

    /** A row as this build's claim and checkpoint leave it, but without the format attribute: an earlier build's. */
    private static Map<String, AttributeValue> earlierBuildsRow() {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put(CheckpointTableSchema.PK, AttributeValue.fromS(CheckpointTableSchema.key(APP, UNIT)));
        item.put(CheckpointTableSchema.APPLICATION, AttributeValue.fromS(APP));
        item.put(CheckpointTableSchema.UNIT, AttributeValue.fromS(UNIT.toString()));
        item.put(CheckpointTableSchema.BUCKET, AttributeValue.fromS(CheckpointTableSchema.bucket(APP, UNIT)));
        item.put(CheckpointTableSchema.POSITION, AttributeValue.fromS(PositionCodec.encode(POSITION)));
        item.put(CheckpointTableSchema.POSITION_KEY, AttributeValue.fromS(PositionCodec.sortKey(POSITION)));
        item.put(CheckpointTableSchema.EPOCH, AttributeValue.fromN("4294967302"));
        item.put(CheckpointTableSchema.DOMAIN, AttributeValue.fromS("zk-7f3a"));
        item.put(CheckpointTableSchema.OWNER, AttributeValue.fromS("worker-a"));
        item.put(CheckpointTableSchema.STATE, AttributeValue.fromS("ACTIVE"));
        item.put(CheckpointTableSchema.UPDATED_AT, AttributeValue.fromN("1765090000000"));
        return item;
    }

    private static Map<String, AttributeValue> with(String attribute, AttributeValue value) {
        Map<String, AttributeValue> item = earlierBuildsRow();
        item.put(attribute, value);
        return item;
    }

    private static Map<String, AttributeValue> without(String... attributes) {
        Map<String, AttributeValue> item = earlierBuildsRow();
        for (String attribute : attributes) {
            item.remove(attribute);
        }
        return item;
    }

    private static String reason(Map<String, AttributeValue> item) {
        Checkpoint row = CheckpointRows.toCheckpoint(UNIT, item);
        assertThat(row.quarantined()).as("the row is quarantined: %s", item).isPresent();
        assertThat(row.position()).as("a quarantined row has no position that could be resumed from").isEmpty();
        assertThat(row.isEnded()).isFalse();
        return row.quarantined().get();
    }

    @Test
    void aRowWrittenByAnEarlierBuildWithoutAFormatReadsAsItAlwaysDid() {
        Checkpoint row = CheckpointRows.toCheckpoint(UNIT, earlierBuildsRow());

        assertThat(row).isEqualTo(new Checkpoint(UNIT, Optional.of(POSITION), Optional.of(new Epoch("zk-7f3a", 4294967302L)),
                Optional.of("worker-a"), CheckpointState.ACTIVE, Instant.ofEpochMilli(1765090000000L), FinishedBeyond.NONE));
        assertThat(CheckpointRows.toCheckpoint(UNIT, with(CheckpointTableSchema.FORMAT, AttributeValue.fromN("1"))))
                .isEqualTo(row);
        assertThat(CheckpointRows.toCheckpoint(UNIT, without(CheckpointTableSchema.POSITION_KEY)).position())
                .as("a record position without its sort key is read; the next checkpoint writes one").contains(POSITION);
    }

    @Test
    void aPositionRewrittenAsANumberIsQuarantinedInsteadOfReadAsNeverCheckpointed() {
        assertThat(reason(with(CheckpointTableSchema.POSITION, AttributeValue.fromN(SEQUENCE))))
                .isEqualTo("attribute 'pos' is the number " + SEQUENCE + ", not a position string");
    }

    @Test
    void aRenamedPositionIsQuarantinedBecauseItsSortKeyIsStillThere() {
        Map<String, AttributeValue> item = without(CheckpointTableSchema.POSITION);
        item.put("position", AttributeValue.fromS(PositionCodec.encode(POSITION)));

        assertThat(reason(item)).startsWith("attribute 'posKey' is the string '0000").endsWith("but the row has no 'pos'"
                + " (renamed or removed?)");
    }

    @Test
    void aPositionThatDoesNotParseOrIsOfTheOtherKindIsQuarantined() {
        assertThat(reason(with(CheckpointTableSchema.POSITION, AttributeValue.fromS("seq:12x"))))
                .isEqualTo("attribute 'pos' is the string 'seq:12x', not a position");
        assertThat(reason(with(CheckpointTableSchema.POSITION, AttributeValue.fromS("offset:12"))))
                .isEqualTo("attribute 'pos' is the string 'offset:12', not a position of a kinesis unit");
    }

    @Test
    void aPositionEditedByHandWithoutItsSortKeyIsQuarantinedRatherThanFailingEveryLaterCheckpoint() {
        assertThat(reason(with(CheckpointTableSchema.POSITION, AttributeValue.fromS("seq:12"))))
                .startsWith("attribute 'pos' is 'seq:12' but 'posKey' is the string '0000")
                .endsWith("which names another record (was one edited by hand?)");
        assertThat(reason(with(CheckpointTableSchema.POSITION, AttributeValue.fromS("TRIM_HORIZON"))))
                .startsWith("attribute 'pos' is 'TRIM_HORIZON' but 'posKey' is");
    }

    @Test
    void anUnknownStateOfANewerVersionOrAMissingOneIsQuarantinedInsteadOfThrowing() {
        assertThat(reason(with(CheckpointTableSchema.STATE, AttributeValue.fromS("SPLITTING"))))
                .isEqualTo("attribute 'state' is the string 'SPLITTING', not ACTIVE or ENDED");
        assertThat(reason(without(CheckpointTableSchema.STATE)))
                .isEqualTo("it has no attribute 'state' (every streamfleet build writes one)");
    }

    @Test
    void anEpochThatIsNoZxidOrLacksItsDomainIsQuarantinedInsteadOfLoopingOnCouldNotClaim() {
        assertThat(reason(with(CheckpointTableSchema.EPOCH, AttributeValue.fromS("4294967302"))))
                .isEqualTo("attribute 'epoch' is the string '4294967302', not a number");
        assertThat(reason(without(CheckpointTableSchema.DOMAIN)))
                .isEqualTo("attribute 'epoch' is the number 4294967302 but the row has no 'domain'");
        assertThat(reason(with(CheckpointTableSchema.EPOCH, AttributeValue.fromN("0"))))
                .startsWith("attributes 'domain' and 'epoch' are the string 'zk-7f3a' and the number 0, not an epoch");
        assertThat(reason(with(CheckpointTableSchema.EPOCH, AttributeValue.fromN("1.5"))))
                .isEqualTo("attribute 'epoch' is the number 1.5, not a whole number");
    }

    @Test
    void aRowOfANewerFormatIsQuarantinedWhateverItsOtherAttributesSay() {
        assertThat(reason(with(CheckpointTableSchema.FORMAT, AttributeValue.fromN("2")))).isEqualTo(
                "attribute 'format' is 2: the row was written by a newer streamfleet (this build reads row formats up to 1),"
                        + " so it is left as it is");
        assertThat(reason(with(CheckpointTableSchema.FORMAT, AttributeValue.fromS("1"))))
                .isEqualTo("attribute 'format' is the string '1', not a number");
    }

    @Test
    void aRowWhoseUnitIsNotTheOneItsKeyNamesIsQuarantined() {
        assertThat(reason(with(CheckpointTableSchema.UNIT, AttributeValue.fromS("kinesis/orders/shardId-000000000002"))))
                .isEqualTo("attribute 'unit' is the string 'kinesis/orders/shardId-000000000002', not the unit its key names");
        assertThat(reason(without(CheckpointTableSchema.UNIT))).isEqualTo("it has no attribute 'unit'");
    }

    @Test
    void informationalAttributesOfTheWrongTypeAreQuarantinedTooRatherThanDefaulted() {
        assertThat(reason(with(CheckpointTableSchema.OWNER, AttributeValue.fromN("7"))))
                .isEqualTo("attribute 'owner' is the number 7, not a string");
        assertThat(reason(with(CheckpointTableSchema.UPDATED_AT, AttributeValue.fromS("yesterday"))))
                .isEqualTo("attribute 'updatedAt' is the string 'yesterday', not a number");
    }

    @Test
    void aSetOfFinishedRecordsWithoutARecordPositionIsQuarantined() {
        FinishedBeyond set = new FinishedBeyond.Builder().add(3).build().anchoredAt(Position.Sequence.of(SEQUENCE + "0"));
        Map<String, AttributeValue> item = without(CheckpointTableSchema.POSITION, CheckpointTableSchema.POSITION_KEY);
        item.put(CheckpointTableSchema.FINISHED, AttributeValue.fromS(CheckpointRows.storedFinished(set)));

        assertThat(reason(item)).endsWith("but the row has no record position for it to count from");
        assertThat(reason(with(CheckpointTableSchema.FINISHED, AttributeValue.fromN("3"))))
                .isEqualTo("attribute 'finished' is the number 3, not a set of finished records");
    }

    @Test
    void aSetCountedFromAKinesisStartingPointIsReadButOneBeyondLatestIsQuarantined() {
        FinishedBeyond set = new FinishedBeyond.Builder().add(3).build().anchoredAt(Position.Sequence.of(SEQUENCE));
        Map<String, AttributeValue> item = with(CheckpointTableSchema.POSITION, AttributeValue.fromS("TRIM_HORIZON"));
        item.put(CheckpointTableSchema.POSITION_KEY, AttributeValue.fromS(CheckpointRows.STARTING_POINT_KEY));
        item.put(CheckpointTableSchema.FINISHED, AttributeValue.fromS(CheckpointRows.storedFinished(set)));
        Checkpoint row = CheckpointRows.toCheckpoint(UNIT, item);
        assertThat(row.isQuarantined()).isFalse();
        assertThat(row.position()).contains(Position.TRIM_HORIZON);
        assertThat(row.finished()).isEqualTo(set);

        item.put(CheckpointTableSchema.POSITION, AttributeValue.fromS("LATEST"));
        assertThat(reason(item)).as("LATEST resolves anew: nothing can count from it")
                .endsWith("but the row has no record position for it to count from");
    }

    @Test
    void aListedRowIsNamedByItsKeyAndARowOfNoUnitIsLeftOutOfTheListing() {
        Map<String, AttributeValue> garbledUnit = with(CheckpointTableSchema.UNIT, AttributeValue.fromS("kinesis/orders"));
        assertThat(CheckpointRows.listed(APP, garbledUnit)).hasValueSatisfying(row -> {
            assertThat(row.unit()).isEqualTo(UNIT);
            assertThat(row.quarantined()).contains("attribute 'unit' is the string 'kinesis/orders', not the unit its key names");
        });

        Map<String, AttributeValue> copied = with(CheckpointTableSchema.PK,
                AttributeValue.fromS(APP + "/kinesis/orders/shardId-000000000009"));
        assertThat(CheckpointRows.listed(APP, copied)).as("another unit's row, whose claims never read this one").isEmpty();
        assertThat(CheckpointRows.listed(APP, with(CheckpointTableSchema.PK, AttributeValue.fromS("junk")))).isEmpty();
        assertThat(CheckpointRows.listed(APP, earlierBuildsRow())).hasValueSatisfying(row -> assertThat(row.isQuarantined())
                .isFalse());
    }

    @Test
    void aRenamedStartingPointIsQuarantinedRatherThanReadAsNeverCheckpointed() {
        Map<String, AttributeValue> seeded = new HashMap<>(earlierBuildsRow());
        seeded.put("format", AttributeValue.fromN("1"));
        seeded.put("pos", AttributeValue.fromS("TRIM_HORIZON"));
        seeded.put("posKey", AttributeValue.fromS(CheckpointRows.STARTING_POINT_KEY));
        assertThat(CheckpointRows.toCheckpoint(UNIT, seeded).position()).contains(Position.TRIM_HORIZON);

        seeded.put("position", seeded.remove("pos"));
        assertThat(reason(seeded)).contains("posKey").contains("no 'pos'");
    }
}
