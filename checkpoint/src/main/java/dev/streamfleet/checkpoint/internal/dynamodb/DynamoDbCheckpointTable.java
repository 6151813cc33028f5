package dev.streamfleet.checkpoint.internal.dynamodb;

import dev.streamfleet.checkpoint.CheckpointException;
import dev.streamfleet.checkpoint.CheckpointRules;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.core.Sleeper;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClientBuilder;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndexDescription;
import software.amazon.awssdk.services.dynamodb.model.IndexStatus;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;

/**
 * The DynamoDB checkpoint table: opened (and created, on-demand, when missing) once per
 * process, shared by the stores of any number of applications.
 */
public final class DynamoDbCheckpointTable implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DynamoDbCheckpointTable.class);
    /** Creating a table takes seconds on AWS; its index may take longer. */
    private static final Duration ACTIVE_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration ACTIVE_POLL = Duration.ofMillis(250);

    private final DynamoDbClient client;
    private final boolean ownsClient;
    private final DynamoDbCheckpointConfig config;
    private final DynamoDbCalls calls;
    private final Clock clock;
    private final Sleeper sleeper;
    /**
     * Lists an application's rows: its {@code BUCKETS} queries at once rather than one after
     * another, as a new leader does before its first assignment. Its threads end when idle.
     */
    private final ThreadPoolExecutor listing;

    private DynamoDbCheckpointTable(DynamoDbClient client, boolean ownsClient, DynamoDbCheckpointConfig config,
                                    Clock clock, Sleeper sleeper, RandomGenerator random) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.config = config;
        this.clock = clock;
        this.sleeper = sleeper;
        AtomicInteger threads = new AtomicInteger();
        this.listing = new ThreadPoolExecutor(CheckpointTableSchema.BUCKETS, CheckpointTableSchema.BUCKETS, 10,
                TimeUnit.SECONDS, new LinkedBlockingQueue<>(), runnable -> {
                    Thread thread = new Thread(runnable, "streamfleet-checkpoint-list-" + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        listing.allowCoreThreadTimeOut(true);
        this.calls = new DynamoDbCalls(config, sleeper, random);
    }

    /** Opens the table described by {@code config}, creating it when missing. */
    public static DynamoDbCheckpointTable open(DynamoDbCheckpointConfig config) {
        return open(clientBuilder(config).build(), true, config, Clock.systemUTC(), Sleeper.SYSTEM,
                RandomGenerator.getDefault());
    }

    /**
     * Opens the table through a client that the caller built (for example with
     * {@link #clientBuilder} plus interceptors) and keeps ownership of.
     */
    public static DynamoDbCheckpointTable open(DynamoDbClient client, DynamoDbCheckpointConfig config, Clock clock,
                                               Sleeper sleeper) {
        return open(client, false, config, clock, sleeper, RandomGenerator.getDefault());
    }

    private static DynamoDbCheckpointTable open(DynamoDbClient client, boolean ownsClient,
                                                DynamoDbCheckpointConfig config, Clock clock, Sleeper sleeper,
                                                RandomGenerator random) {
        DynamoDbCheckpointTable table = new DynamoDbCheckpointTable(client, ownsClient, config, clock, sleeper, random);
        try {
            table.ensureExists();
            return table;
        } catch (RuntimeException e) {
            table.close();
            throw e;
        }
    }

    /**
     * A client configured as streamfleet needs it: the URL-connection HTTP client, the SDK's own
     * retries off (we retry with our own bounded backoff), and the call timeout of {@code config}.
     */
    public static DynamoDbClientBuilder clientBuilder(DynamoDbCheckpointConfig config) {
        DynamoDbClientBuilder builder = DynamoDbClient.builder()
                .region(Region.of(config.region()))
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(2))
                        .socketTimeout(config.callTimeout()))
                .overrideConfiguration(o -> o
                        .retryStrategy(AwsRetryStrategy.doNotRetry())
                        .apiCallAttemptTimeout(config.callTimeout()));
        config.endpoint().ifPresent(builder::endpointOverride);
        builder.credentialsProvider(config.credentials()
                .<software.amazon.awssdk.auth.credentials.AwsCredentialsProvider>map(c -> StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey())))
                .orElseGet(() -> DefaultCredentialsProvider.builder().build()));
        return builder;
    }

    /** The store of one application's units. */
    public CheckpointStore store(String application) {
        CheckpointRules.requireApplication(application);
        return new DynamoDbCheckpointStore(application, client, config, calls, clock, listing);
    }

    public String name() {
        return config.table();
    }

    private void ensureExists() {
        TableDescription table = describe();
        if (table == null) {
            create();
            table = describe();
        }
        long deadline = System.nanoTime() + ACTIVE_TIMEOUT.toNanos();
        while (table == null || !isActive(table)) {
            if (System.nanoTime() > deadline) {
                throw new CheckpointException(config.where() + ": table " + config.table() + " did not become ACTIVE within "
                        + ACTIVE_TIMEOUT.toMinutes() + " min");
            }
            try {
                sleeper.sleep(ACTIVE_POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CheckpointException("interrupted while waiting for table " + config.table() + " to become ACTIVE");
            }
            table = describe();
        }
        requireLayout(table);
    }

    private TableDescription describe() {
        try {
            return calls.call("DescribeTable", attempt -> client.describeTable(r -> r.tableName(config.table())).table());
        } catch (CheckpointException e) {
            if (e.getCause() instanceof ResourceNotFoundException) {
                return null;
            }
            throw e;
        }
    }

    private void create() {
        LOG.info("creating checkpoint table {} ({}, on-demand)", config.table(), config.where());
        try {
            calls.call("CreateTable", attempt -> client.createTable(r -> r
                    .tableName(config.table())
                    .billingMode(BillingMode.PAY_PER_REQUEST)
                    .attributeDefinitions(
                            attribute(CheckpointTableSchema.PK),
                            attribute(CheckpointTableSchema.BUCKET),
                            attribute(CheckpointTableSchema.UNIT))
                    .keySchema(key(CheckpointTableSchema.PK, KeyType.HASH))
                    .globalSecondaryIndexes(GlobalSecondaryIndex.builder()
                            .indexName(CheckpointTableSchema.BY_APPLICATION)
                            .keySchema(key(CheckpointTableSchema.BUCKET, KeyType.HASH),
                                    key(CheckpointTableSchema.UNIT, KeyType.RANGE))
                            .projection(p -> p.projectionType(ProjectionType.ALL))
                            .build())));
        } catch (CheckpointException e) {
            if (!(e.getCause() instanceof ResourceInUseException)) {
                throw e;
            }
            // Another worker created it at the same moment; we wait for it like for our own.
        }
    }

    private static boolean isActive(TableDescription table) {
        return table.tableStatus() == TableStatus.ACTIVE && table.globalSecondaryIndexes().stream()
                .allMatch(index -> index.indexStatus() == null || index.indexStatus() == IndexStatus.ACTIVE);
    }

    private void requireLayout(TableDescription table) {
        List<KeySchemaElement> keys = table.keySchema();
        boolean keyMatches = keys.size() == 1 && keys.get(0).attributeName().equals(CheckpointTableSchema.PK);
        boolean indexMatches = table.globalSecondaryIndexes().stream()
                .map(GlobalSecondaryIndexDescription::indexName)
                .anyMatch(CheckpointTableSchema.BY_APPLICATION::equals);
        if (!keyMatches || !indexMatches) {
            throw new CheckpointException(config.where() + ": table " + config.table()
                    + " exists but is not a streamfleet checkpoint table (it needs hash key '" + CheckpointTableSchema.PK
                    + "' and index '" + CheckpointTableSchema.BY_APPLICATION + "'); choose another table name");
        }
    }

    private static AttributeDefinition attribute(String name) {
        return AttributeDefinition.builder().attributeName(name).attributeType(ScalarAttributeType.S).build();
    }

    private static KeySchemaElement key(String name, KeyType type) {
        return KeySchemaElement.builder().attributeName(name).keyType(type).build();
    }

    @Override
    public void close() {
        listing.shutdownNow();
        if (ownsClient) {
            client.close();
        }
    }
}
