package dev.streamfleet.it.checkpoint;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointAccessDeniedException;
import dev.streamfleet.checkpoint.CheckpointException;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.CheckpointStoreUnavailableException;
import dev.streamfleet.checkpoint.OwnershipLostException;
import dev.streamfleet.checkpoint.internal.dynamodb.DynamoDbCheckpointConfig;
import dev.streamfleet.checkpoint.internal.dynamodb.DynamoDbCheckpointTable;
import dev.streamfleet.core.Backoff;
import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.Sleeper;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.it.LocalStackExtension;
import dev.streamfleet.it.checkpoint.FaultInjector.Fault;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How the DynamoDB store behaves when DynamoDB misbehaves, against a real dynalite process. */
class DynamoDbCheckpointFaultsIT {

    @RegisterExtension
    static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withDynamoDb());

    private static final Backoff RETRY = new Backoff(4, Duration.ofMillis(100), Duration.ofMillis(400));
    private static final UnitId SHARD = UnitId.kinesis("orders", "shardId-000000000000");
    private static final Epoch EPOCH = new Epoch("zk-main", 100);

    private static final FaultInjector faults = new FaultInjector();
    private static DynamoDbClient client;
    private final List<Duration> sleeps = new CopyOnWriteArrayList<>();
    private final Sleeper recordingSleeper = sleeps::add;
    private DynamoDbCheckpointTable table;
    private CheckpointStore store;

    @BeforeAll
    static void connect() {
        client = DynamoDbCheckpointTable.clientBuilder(config("any"))
                .overrideConfiguration(o -> o.addExecutionInterceptor(faults)
                        .retryStrategy(software.amazon.awssdk.awscore.retry.AwsRetryStrategy.doNotRetry()))
                .build();
    }

    @AfterAll
    static void disconnect() {
        client.close();
    }

    @BeforeEach
    void openTable() {
        faults.reset();
        table = DynamoDbCheckpointTable.open(client, config("faults"), Clock.systemUTC(), recordingSleeper);
        store = table.store("app-" + UUID.randomUUID().toString().substring(0, 8));
        faults.reset();
        sleeps.clear(); // waiting for a newly created table to become ACTIVE sleeps too
    }

    @AfterEach
    void closeTable() {
        table.close();
    }

    private static DynamoDbCheckpointConfig config(String tableName) {
        return DynamoDbCheckpointConfig.local(tableName, URI.create(SERVERS.stack().dynamodb().endpoint())).withRetry(RETRY);
    }

    @Test
    void missingTableIsCreatedOnDemandWithItsIndex() {
        String name = "created-" + UUID.randomUUID().toString().substring(0, 8);

        try (DynamoDbCheckpointTable created = DynamoDbCheckpointTable.open(config(name))) {
            created.store("app").claim(SHARD, EPOCH, "worker-a");
        }

        TableDescription description = client.describeTable(r -> r.tableName(name)).table();
        assertThat(description.tableStatus()).isEqualTo(TableStatus.ACTIVE);
        assertThat(description.billingModeSummary().billingMode()).isEqualTo(BillingMode.PAY_PER_REQUEST);
        assertThat(description.globalSecondaryIndexes()).extracting(i -> i.indexName()).containsExactly("by-application");
    }

    @Test
    void workersCreatingTheSameMissingTableAtOnceAllSucceed() throws Exception {
        String name = "raced-" + UUID.randomUUID().toString().substring(0, 8);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> opened = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                opened.add(pool.submit(() -> {
                    try (DynamoDbCheckpointTable t = DynamoDbCheckpointTable.open(config(name))) {
                        return t.name();
                    }
                }));
            }
            for (Future<String> future : opened) {
                assertThat(future.get(60, TimeUnit.SECONDS)).isEqualTo(name);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void tableWithAnotherLayoutIsReportedInOneLine() {
        String name = "foreign-" + UUID.randomUUID().toString().substring(0, 8);
        client.createTable(r -> r.tableName(name).billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(a -> a.attributeName("id").attributeType(ScalarAttributeType.S))
                .keySchema(k -> k.attributeName("id").keyType(KeyType.HASH)));

        assertThatThrownBy(() -> DynamoDbCheckpointTable.open(config(name)))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("table " + name + " exists but is not a streamfleet checkpoint table")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void throttledWriteIsRetriedAndLands() {
        store.claim(SHARD, EPOCH, "worker-a");
        faults.fail("UpdateItem", Fault.THROTTLED, 2);

        store.checkpoint(SHARD, Position.Sequence.of("1000"), EPOCH);

        assertThat(faults.calls("UpdateItem")).isEqualTo(3);
        assertThat(sleeps).hasSize(2).allSatisfy(d -> assertThat(d).isBetween(Duration.ZERO, Duration.ofMillis(400)));
        assertThat(store.read(SHARD).flatMap(Checkpoint::position)).contains(Position.Sequence.of("1000"));
    }

    @Test
    void serverErrorsAreRetriedAndTheWriteLands() {
        store.claim(SHARD, EPOCH, "worker-a");
        faults.fail("UpdateItem", Fault.INTERNAL_ERROR, 1);
        store.checkpoint(SHARD, Position.Sequence.of("1000"), EPOCH);
        assertThat(faults.calls("UpdateItem")).isEqualTo(2);

        faults.fail("UpdateItem", Fault.UNAVAILABLE, 1);
        store.checkpoint(SHARD, Position.Sequence.of("2000"), EPOCH);
        assertThat(faults.calls("UpdateItem")).isEqualTo(2);
        assertThat(store.read(SHARD).flatMap(Checkpoint::position)).contains(Position.Sequence.of("2000"));
    }

    @Test
    void retriesAreBoundedAndEndInOneClearLine() {
        store.claim(SHARD, EPOCH, "worker-a");
        faults.fail("UpdateItem", Fault.INTERNAL_ERROR, 1_000);

        assertThatThrownBy(() -> store.checkpoint(SHARD, Position.Sequence.of("1000"), EPOCH))
                .isInstanceOf(CheckpointStoreUnavailableException.class)
                .hasMessageContaining("UpdateItem on table faults failed 4 times")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThat(faults.calls("UpdateItem")).isEqualTo(RETRY.maxAttempts());
        assertThat(sleeps).hasSize(RETRY.maxAttempts() - 1);
    }

    @Test
    void lostOwnershipIsNeverRetried() {
        store.claim(SHARD, EPOCH, "worker-a");
        store.claim(SHARD, new Epoch("zk-main", 200), "worker-b");
        faults.reset();

        assertThatThrownBy(() -> store.checkpoint(SHARD, Position.Sequence.of("1000"), EPOCH))
                .isInstanceOf(OwnershipLostException.class);
        assertThat(faults.calls("UpdateItem")).isEqualTo(1);
        assertThat(sleeps).isEmpty();
    }

    @Test
    void claimWhoseAnswerWasLostIsNotMistakenForALostRace() {
        faults.fail("UpdateItem", Fault.INTERNAL_ERROR, 1);

        Checkpoint claimed = store.claim(SHARD, EPOCH, "worker-a");

        assertThat(faults.calls("UpdateItem")).isEqualTo(2);
        assertThat(claimed.epoch()).contains(EPOCH);
        assertThat(claimed.owner()).contains("worker-a");
    }

    @Test
    void claimLostToAnotherOwnerAfterARetryIsStillALostRace() {
        store.claim(SHARD, new Epoch("zk-main", 300), "worker-b");
        faults.fail("UpdateItem", Fault.INTERNAL_ERROR, 1);

        assertThatThrownBy(() -> store.claim(SHARD, EPOCH, "worker-a")).isInstanceOf(OwnershipLostException.class);
    }

    @Test
    void missingPermissionGivesOneClearLine() {
        store.claim(SHARD, EPOCH, "worker-a");
        faults.fail("UpdateItem", Fault.ACCESS_DENIED, 1);

        assertThatThrownBy(() -> store.checkpoint(SHARD, Position.Sequence.of("1000"), EPOCH))
                .isInstanceOf(CheckpointAccessDeniedException.class)
                .hasMessageContaining("no permission for dynamodb:UpdateItem on table faults")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThat(faults.calls("UpdateItem")).isEqualTo(1);
    }
}
