package dev.streamfleet.it.checkpoint;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.QuarantinedRowException;
import dev.streamfleet.checkpoint.internal.dynamodb.DynamoDbCheckpointConfig;
import dev.streamfleet.checkpoint.internal.dynamodb.DynamoDbCheckpointTable;
import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.it.LocalStackExtension;

import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Rows that this build did not write as they stand, put into a real dynalite table by hand as an
 * operator or a newer build would: each concerns its own unit only, is reported as quarantined
 * with the attribute and its value, and is never written over by a claim.
 */
class UntrustedCheckpointRowsIT {

    @RegisterExtension
    static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withDynamoDb());

    private static final String TABLE = "untrusted-rows";
    private static final UnitId A = UnitId.kinesis("orders", "shardId-000000000000");
    private static final UnitId B = UnitId.kinesis("orders", "shardId-000000000001");
    private static final UnitId C = UnitId.kinesis("orders", "shardId-000000000002");
    private static final Position SEQ_10 = Position.Sequence.of("10");
    private static final Position SEQ_20 = Position.Sequence.of("20");

    private static DynamoDbCheckpointTable table;
    private static DynamoDbClient client;
    private String application;
    private CheckpointStore store;

    @BeforeAll
    static void open() {
        DynamoDbCheckpointConfig config = DynamoDbCheckpointConfig.local(TABLE, URI.create(SERVERS.stack().dynamodb().endpoint()));
        table = DynamoDbCheckpointTable.open(config);
        client = DynamoDbCheckpointTable.clientBuilder(config).build();
    }

    @AfterAll
    static void close() {
        table.close();
        client.close();
    }

    @BeforeEach
    void freshApplication() {
        application = "app-" + UUID.randomUUID().toString().substring(0, 8);
        store = table.store(application);
    }

    private Map<String, AttributeValue> key(UnitId unit) {
        return Map.of("pk", AttributeValue.fromS(application + "/" + unit));
    }

    private Map<String, AttributeValue> raw(UnitId unit) {
        return client.getItem(r -> r.tableName(TABLE).key(key(unit)).consistentRead(true)).item();
    }

    /** What an operator does in the console: one attribute set to another value, nothing else changed. */
    private void edit(UnitId unit, String attribute, AttributeValue value) {
        client.updateItem(r -> r.tableName(TABLE).key(key(unit)).updateExpression("SET #a = :v")
                .expressionAttributeNames(Map.of("#a", attribute)).expressionAttributeValues(Map.of(":v", value)));
    }

    /** A row checkpointed at seq:10 by epoch 100 and released, as a gracefully stopped worker leaves it. */
    private void checkpointed(UnitId unit) {
        Epoch epoch = new Epoch("zk-main", 100);
        store.claim(unit, epoch, "worker-a");
        store.checkpoint(unit, SEQ_10, epoch);
    }

    @Test
    void anotherUnitsRowCopiedUnderThisUnitsKeyIsNotClaimedAsThisUnitsProgress() {
        UnitId p0 = UnitId.kafka("orders", 0);
        UnitId p1 = UnitId.kafka("orders", 1);
        Epoch epoch = new Epoch("zk-main", 100);
        store.claim(p1, epoch, "worker-a");
        store.checkpoint(p1, new Position.Offset(500), epoch);
        Map<String, AttributeValue> copy = new HashMap<>(raw(p1));
        copy.put("pk", AttributeValue.fromS(application + "/" + p0));
        client.putItem(r -> r.tableName(TABLE).item(copy));
        Map<String, AttributeValue> before = raw(p0);

        assertThatThrownBy(() -> store.claim(p0, new Epoch("zk-main", 200), "worker-b"))
                .isInstanceOf(QuarantinedRowException.class)
                .hasMessageContaining("not the unit its key names");
        assertThat(raw(p0)).as("the claim left the row as it was").isEqualTo(before);
    }

    @Test
    void aSeededStartingPointWhosePosWasRenamedIsQuarantined() {
        assertThat(store.seed(C, Position.TRIM_HORIZON)).isTrue();
        Map<String, AttributeValue> seeded = raw(C);
        client.updateItem(r -> r.tableName(TABLE).key(key(C)).updateExpression("SET #new = #pos REMOVE #pos")
                .expressionAttributeNames(Map.of("#new", "position", "#pos", "pos")));

        assertThat(seeded).containsKey("posKey");
        assertThat(store.read(C).orElseThrow().quarantined()).hasValueSatisfying(reason -> assertThat(reason).contains("no 'pos'"));
        assertThatThrownBy(() -> store.claim(C, new Epoch("zk-main", 200), "worker-b"))
                .isInstanceOf(QuarantinedRowException.class);
    }

    @Test
    void aPositionRewrittenAsANumberIsQuarantinedAndTheClaimLeavesTheRowUntouched() {
        checkpointed(A);
        edit(A, "pos", AttributeValue.fromN("10"));
        Map<String, AttributeValue> before = raw(A);

        assertThatThrownBy(() -> store.claim(A, new Epoch("zk-main", 200), "worker-b"))
                .isInstanceOf(QuarantinedRowException.class)
                .hasMessage(A + ": checkpoint row quarantined: attribute 'pos' is the number 10, not a position string");
        assertThat(raw(A)).as("neither the claim nor anything else wrote the row").isEqualTo(before);
    }

    @Test
    void aGarbagePositionOrAnUnknownStateIsQuarantinedInsteadOfAClaimThatFailsInALoop() {
        checkpointed(A);
        checkpointed(B);
        edit(A, "pos", AttributeValue.fromS("seq:ten"));
        edit(B, "state", AttributeValue.fromS("SPLITTING"));
        Map<String, AttributeValue> stateBefore = raw(B);

        assertThatThrownBy(() -> store.claim(A, new Epoch("zk-main", 200), "worker-b"))
                .isInstanceOf(QuarantinedRowException.class).hasMessageContaining("'pos' is the string 'seq:ten'");
        assertThat(raw(A).get("pos")).as("the claim may record its epoch, never a position").isEqualTo(AttributeValue.fromS("seq:ten"));
        assertThatThrownBy(() -> store.claim(B, new Epoch("zk-main", 200), "worker-b"))
                .isInstanceOf(QuarantinedRowException.class).hasMessageContaining("'state' is the string 'SPLITTING'");
        assertThat(raw(B)).isEqualTo(stateBefore);
    }

    @Test
    void listingAndReadingReportABadRowAndStillShowTheOthers() {
        checkpointed(A);
        checkpointed(B);
        checkpointed(C);
        edit(B, "pos", AttributeValue.fromN("10"));

        List<Checkpoint> rows = store.list();

        assertThat(rows).extracting(Checkpoint::unit).containsExactly(A, B, C);
        assertThat(rows.get(0).position()).contains(SEQ_10);
        assertThat(rows.get(1).quarantined()).contains("attribute 'pos' is the number 10, not a position string");
        assertThat(rows.get(2).position()).contains(SEQ_10);
        assertThat(store.read(B)).as("a parent's bad row reads as not ENDED, without an exception")
                .hasValueSatisfying(row -> assertThat(row.isEnded()).isFalse());
    }

    @Test
    void aRowOfANewerFormatIsNeverWrittenOver() {
        checkpointed(A);
        edit(A, "format", AttributeValue.fromN("2"));
        Map<String, AttributeValue> before = raw(A);
        Epoch holder = new Epoch("zk-main", 100);

        assertThatThrownBy(() -> store.claim(A, new Epoch("zk-main", 200), "worker-b"))
                .isInstanceOf(QuarantinedRowException.class).hasMessageContaining("written by a newer streamfleet");
        assertThatThrownBy(() -> store.checkpoint(A, SEQ_20, holder)).isInstanceOf(QuarantinedRowException.class);
        assertThatThrownBy(() -> store.markEnded(A, holder)).isInstanceOf(QuarantinedRowException.class);
        assertThatThrownBy(() -> store.reset(A, Position.TRIM_HORIZON)).isInstanceOf(QuarantinedRowException.class);
        assertThatThrownBy(() -> store.clearClaim(A)).isInstanceOf(QuarantinedRowException.class);
        assertThat(store.seed(A, Position.TRIM_HORIZON)).isFalse();

        assertThat(raw(A)).isEqualTo(before);
        assertThat(store.read(A).orElseThrow().quarantined()).hasValueSatisfying(reason -> assertThat(reason)
                .startsWith("attribute 'format' is 2"));
    }

    @Test
    void aRowOfAnEarlierBuildWithoutAFormatIsClaimedAndCheckpointedAsBeforeAndThenCarriesOne() {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("pk", AttributeValue.fromS(application + "/" + A));
        item.put("app", AttributeValue.fromS(application));
        item.put("unit", AttributeValue.fromS(A.toString()));
        item.put("bucket", AttributeValue.fromS(application + "#" + String.format("%02d", Math.floorMod(A.toString().hashCode(), 16))));
        item.put("pos", AttributeValue.fromS("seq:10"));
        item.put("posKey", AttributeValue.fromS("0".repeat(127) + "10." + "0".repeat(19)));
        item.put("epoch", AttributeValue.fromN("100"));
        item.put("domain", AttributeValue.fromS("zk-main"));
        item.put("owner", AttributeValue.fromS("worker-a"));
        item.put("state", AttributeValue.fromS("ACTIVE"));
        item.put("updatedAt", AttributeValue.fromN("1765090000000"));
        client.putItem(r -> r.tableName(TABLE).item(item));

        Epoch epoch = new Epoch("zk-main", 200);
        assertThat(store.claim(A, epoch, "worker-b").position()).contains(SEQ_10);
        store.checkpoint(A, SEQ_20, epoch);

        assertThat(store.list()).singleElement().satisfies(row -> assertThat(row.position()).contains(SEQ_20));
        assertThat(raw(A).get("format")).isEqualTo(AttributeValue.fromN("1"));
    }

    @Test
    void aResetRepairsARowDamagedByHandSoThatTheUnitIsClaimedAgain() {
        checkpointed(A);
        edit(A, "pos", AttributeValue.fromN("10"));
        edit(A, "state", AttributeValue.fromS("active"));

        store.reset(A, SEQ_10);

        Checkpoint claimed = store.claim(A, new Epoch("zk-main", 300), "worker-c");
        assertThat(claimed.position()).contains(SEQ_10);
        assertThat(claimed.isQuarantined()).isFalse();
    }
}
