package dev.streamfleet.it.worker;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.internal.dynamodb.DynamoDbCheckpointTable;
import dev.streamfleet.coordinator.UnitState;
import dev.streamfleet.core.Sleeper;
import dev.streamfleet.it.LocalStackExtension;
import dev.streamfleet.worker.Checkpointer;
import dev.streamfleet.worker.RecordBatch;
import dev.streamfleet.worker.RecordProcessor;
import dev.streamfleet.worker.StreamRecord;
import dev.streamfleet.worker.config.FleetConfig;
import dev.streamfleet.worker.internal.setup.CheckpointTables;
import dev.streamfleet.worker.embed.AwsClients;
import dev.streamfleet.worker.embed.EmbeddedWorker;
import dev.streamfleet.worker.embed.Streamfleet;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.codahale.metrics.MetricRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A worker embedded in an application through {@code Streamfleet.worker()}, against real
 * ZooKeeper, Kinesis and DynamoDB emulators: the application's processor, pool, clock, registry
 * and clients are the ones the worker uses, and its graceful stop leaves them to the application.
 */
class EmbeddedWorkerIT {

    @RegisterExtension
    static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withZooKeeper(1).withKinesis().withDynamoDb());

    @TempDir
    Path dir;

    /** Counts the AWS calls a client makes. */
    private static final class Calls implements ExecutionInterceptor {
        final AtomicInteger count = new AtomicInteger();

        @Override
        public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
            count.incrementAndGet();
        }
    }

    /** The system clock, counting how often it is read. */
    private static final class CountingClock extends Clock {
        final AtomicInteger reads = new AtomicInteger();

        @Override
        public ZoneId getZone() {
            return ZoneId.of("UTC");
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            reads.incrementAndGet();
            return Instant.now();
        }
    }

    @Test
    void theApplicationsProcessorPoolClockRegistryAndClientsAreUsedAndAGracefulStopLeavesThemToTheApplication()
            throws Exception {
        Calls kinesisCalls = new Calls();
        Calls dynamoDbCalls = new Calls();
        String stream;
        KinesisClient kinesis = TestStreams.client(SERVERS.stack().kinesis().endpoint(), kinesisCalls);
        stream = TestStreams.create(kinesis, "embedded", 2);
        TestStreams.put(kinesis, stream, 0, 40, 4);
        String application = "embedded-" + UUID.randomUUID().toString().substring(0, 8);
        Path file = dir.resolve("fleet.yaml");
        // No processor section: the application gives it in code.
        Files.writeString(file, """
                application: %s
                zookeeper:
                  connect: %s
                checkpoints:
                  table: embedded-checkpoints
                  region: us-east-1
                  endpoint: %s
                  interval: 1s
                sources:
                  - kinesis:
                      stream: %s
                      region: us-east-1
                      endpoint: %s
                      initialPosition: TRIM_HORIZON
                """.formatted(application, SERVERS.stack().zookeeper().endpoint(), SERVERS.stack().dynamodb().endpoint(),
                stream, SERVERS.stack().kinesis().endpoint()));
        FleetConfig config = dev.streamfleet.worker.config.FleetConfigLoader.load(file, java.util.Map.of(), java.util.Map.of());
        DynamoDbClient dynamoDb = DynamoDbCheckpointTable.clientBuilder(CheckpointTables.of(config.checkpoints()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
                .overrideConfiguration(o -> o.addExecutionInterceptor(dynamoDbCalls)).build();
        AtomicInteger poolThreads = new AtomicInteger();
        ScheduledExecutorService pool = Executors.newScheduledThreadPool(4, runnable -> {
            Thread thread = new Thread(runnable, "application-pool-" + poolThreads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        CountingClock clock = new CountingClock();
        MetricRegistry registry = new MetricRegistry();
        List<String> seen = new CopyOnWriteArrayList<>();
        Set<String> processorThreads = ConcurrentHashMap.newKeySet();

        try (EmbeddedWorker worker = Streamfleet.worker().config(file)
                .processor(unit -> new RecordProcessor() {
                    @Override
                    public void process(RecordBatch batch, Checkpointer checkpointer) {
                        processorThreads.add(Thread.currentThread().getName());
                        for (StreamRecord record : batch.records()) {
                            seen.add(new String(record.data(), StandardCharsets.UTF_8));
                        }
                    }
                })
                .executor(pool).clock(clock).metrics(registry)
                .awsClients(AwsClients.fromConfiguration().withKinesis(kinesis).withDynamoDb(dynamoDb))
                .start()) {
            await().atMost(Duration.ofSeconds(60)).until(() -> seen.size() >= 40);
            assertThat(Set.copyOf(seen)).hasSize(40);
            assertThat(worker.units()).hasSize(2).allSatisfy((unit, state) -> assertThat(state).isEqualTo(UnitState.READING));
            assertThat(worker.failures()).isEmpty();
            assertThat(processorThreads).as("the units ran on the application's pool")
                    .allSatisfy(name -> assertThat(name).startsWith("application-pool-"));
            assertThat(worker.metrics()).isSameAs(registry);
            assertThat(registry.meter("streamfleet.worker.records").getCount()).isEqualTo(40);
            assertThat(clock.reads.get()).as("the worker reads the application's clock").isPositive();
            assertThat(kinesisCalls.count.get()).as("reads went through the application's Kinesis client").isPositive();
            assertThat(dynamoDbCalls.count.get()).as("checkpoints went through its DynamoDB client").isPositive();
            String health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(worker.statusUrl().orElseThrow()
                    + "/health")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(health).contains("\"ready\":true").contains(worker.id().value());

            CompletableFuture<Void> stopping = worker.shutdownGracefully();
            assertThat(worker.shutdownGracefully()).isSameAs(stopping);
            stopping.get(60, TimeUnit.SECONDS);
        }

        assertThat(pool.isShutdown()).as("the application's pool stays the application's").isFalse();
        // The clients stay open, and the graceful stop left every unit checkpointed at its last record.
        assertThat(kinesis.listShards(r -> r.streamName(stream)).shards()).hasSize(2);
        try (DynamoDbCheckpointTable table = DynamoDbCheckpointTable.open(dynamoDb, CheckpointTables.of(config.checkpoints()),
                Clock.systemUTC(), Sleeper.SYSTEM)) {
            List<Checkpoint> rows = table.store(application).list();
            assertThat(rows).hasSize(2).allSatisfy(row -> assertThat(row.position()).isPresent());
        }
        pool.shutdownNow();
        kinesis.close();
        dynamoDb.close();
    }
}
