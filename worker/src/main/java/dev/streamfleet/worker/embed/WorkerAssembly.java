package dev.streamfleet.worker.embed;

import dev.streamfleet.checkpoint.internal.dynamodb.DynamoDbCheckpointTable;
import dev.streamfleet.coordinator.CoordinatorConfig;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.core.SourceKind;
import dev.streamfleet.worker.DeadLetterSink;
import dev.streamfleet.worker.RecordProcessorFactory;
import dev.streamfleet.worker.RecordSourceFactory;
import dev.streamfleet.worker.SourceBinding;
import dev.streamfleet.core.MonotonicClock;
import dev.streamfleet.worker.internal.runtime.StreamWorker;
import dev.streamfleet.worker.WorkerRuntime;
import dev.streamfleet.worker.internal.runtime.WorkerSettings;
import dev.streamfleet.worker.config.ConfigException;
import dev.streamfleet.worker.config.FleetConfig;
import dev.streamfleet.worker.internal.setup.CheckpointTables;
import dev.streamfleet.worker.internal.kafka.KafkaConsumerThread;
import dev.streamfleet.worker.internal.kafka.KafkaDeadLetterSink;
import dev.streamfleet.worker.internal.kafka.KafkaDiscovery;
import dev.streamfleet.worker.internal.kafka.KafkaSourceConfig;
import dev.streamfleet.worker.internal.kinesis.FanOutSources;
import dev.streamfleet.worker.internal.kinesis.KinesisDeadLetterSink;
import dev.streamfleet.worker.internal.kinesis.KinesisDiscovery;
import dev.streamfleet.worker.internal.kinesis.KinesisSourceConfig;
import dev.streamfleet.worker.internal.kinesis.KinesisSources;
import dev.streamfleet.worker.internal.kinesis.ClosedShards;
import dev.streamfleet.worker.internal.kinesis.ShardRanges;
import dev.streamfleet.worker.internal.kinesis.Polling;
import dev.streamfleet.worker.internal.processors.BuiltInProcessors;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.KinesisClientBuilder;

/**
 * Builds a running worker from its configuration: the checkpoint table, one Kinesis client per
 * region and endpoint (unless the application gave its own), one Kafka consumer per cluster, the
 * processor, and the worker itself. Every source is looked up once before the worker joins the
 * fleet, so a missing stream or topic stops the start with one clear line instead of failing
 * later on the leader. Internal: applications use {@link Streamfleet#worker()}.
 */
final class WorkerAssembly implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerAssembly.class);

    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private StreamWorker worker;
    private dev.streamfleet.checkpoint.CheckpointStore store;

    private WorkerAssembly() {
    }

    /**
     * Starts the worker described by {@code config}, with the application's processor, clients and
     * runtime where it gave them; on failure, closes whatever it opened and rethrows.
     */
    static WorkerAssembly start(FleetConfig config, WorkerInfo info, Optional<RecordProcessorFactory> processor,
                                AwsClients clients, WorkerRuntime runtime) {
        WorkerAssembly assembly = new WorkerAssembly();
        try {
            assembly.build(config, info, processor, clients, runtime);
            return assembly;
        } catch (RuntimeException e) {
            assembly.close();
            throw e;
        }
    }

    private void build(FleetConfig config, WorkerInfo info, Optional<RecordProcessorFactory> processor,
                       AwsClients clients, WorkerRuntime runtime) {
        RecordProcessorFactory processors = processor.isPresent() ? processor.get() : configured(config, info);
        if (processor.isEmpty() && config.processing().parallelism().isConcurrent()
                && !BuiltInProcessors.mayRunConcurrently(config.processor().type())) {
            throw new ConfigException("processing.parallelism: " + config.processing().parallelism().parallelism()
                    + " with ordering " + config.processing().parallelism().ordering().configName() + " hands a unit's"
                    + " batches to the processor concurrently, but " + config.processor().type() + " does not implement"
                    + " ConcurrentRecordProcessor; implement it, or set processing.ordering: unit");
        }
        FleetConfig.Checkpoints checkpoints = config.checkpoints();
        // The application's client stays the application's; one built here is closed with the worker.
        software.amazon.awssdk.services.dynamodb.DynamoDbClient dynamoDb = clients.dynamoDb().orElseGet(() ->
                open(DynamoDbCheckpointTable.clientBuilder(CheckpointTables.of(checkpoints)).build()));
        DynamoDbCheckpointTable table = open(DynamoDbCheckpointTable.open(dynamoDb, CheckpointTables.of(checkpoints),
                runtime.clock(), dev.streamfleet.core.Sleeper.SYSTEM));

        Map<String, KinesisClient> kinesisClients = new HashMap<>();
        Map<String, KinesisAsyncClient> kinesisAsyncClients = new HashMap<>();
        Map<String, KafkaConsumerThread> kafkaConsumers = new HashMap<>();
        List<SourceBinding> bindings = new ArrayList<>();
        MonotonicClock listingClock = MonotonicClock.system(runtime.clock());
        for (FleetConfig.Source source : config.sources()) {
            if (source instanceof FleetConfig.Kinesis kinesis) {
                KinesisClient client = clients.kinesis().orElseGet(() -> kinesisClients.computeIfAbsent(
                        kinesis.region() + " " + kinesis.endpoint(), key -> open(KinesisClients.polling(kinesis.region(),
                                kinesis.endpoint()))));
                KinesisSourceConfig reading = new KinesisSourceConfig(kinesis.stream(), kinesis.initialPosition(),
                        kinesis.limit(), new Polling(kinesis.idleWait(), kinesis.idleWaitMax(), kinesis.maxReadsPerSecond()));
                KinesisDiscovery discovery = new KinesisDiscovery(client, kinesis.stream(), kinesis.initialPosition(),
                        runtime.clock());
                // How long since the last listing is a duration: a wall clock stepped back must not hold off a relisting.
                ShardRanges ranges = new ShardRanges(kinesis.stream(), discovery::hashKeyRanges, listingClock);
                RecordSourceFactory sources = kinesis.fanOut().isPresent()
                        ? new FanOutSources(clients.kinesisAsync().orElseGet(() -> kinesisAsyncClients.computeIfAbsent(
                                kinesis.region() + " " + kinesis.endpoint(), key -> open(KinesisClients.fanOut(kinesis.region(),
                                        kinesis.endpoint())))), reading, kinesis.fanOut().get(), ranges,
                                new ClosedShards(kinesis.stream(), discovery::closedShards, listingClock,
                                        listingThread(kinesis.stream())))
                        : new KinesisSources(client, reading, ranges);
                bindings.add(new SourceBinding(SourceKind.KINESIS, kinesis.stream(), discovery, sources));
            } else if (source instanceof FleetConfig.Kafka kafka) {
                KafkaConsumerThread consumer = kafkaConsumers.computeIfAbsent(
                        kafka.bootstrapServers() + " " + kafka.properties() + " " + kafka.mirrorGroup(),
                        key -> open(new KafkaConsumerThread(kafka.bootstrapServers(), kafka.properties(), info.id().value(),
                                kafka.mirrorGroup())));
                KafkaDiscovery discovery = open(new KafkaDiscovery(new KafkaSourceConfig(kafka.topic(),
                        kafka.bootstrapServers(), kafka.initialPosition(), kafka.properties())));
                bindings.add(new SourceBinding(SourceKind.KAFKA, kafka.topic(), discovery,
                        consumer.topic(kafka.initialPosition())));
            }
        }
        for (SourceBinding binding : bindings) {
            binding.discovery().discover();
        }
        CoordinatorConfig coordinator = CoordinatorConfig.of(config.application(), config.zookeeper().connect())
                .withSessionTimeout(config.zookeeper().sessionTimeout())
                .withDrainTimeout(config.processing().drainTimeout())
                .withBalancing(config.balancing());
        if (config.zookeeper().credentials().isPresent()) {
            coordinator = coordinator.withCredentials(config.zookeeper().credentials().get());
        }
        store = table.store(config.application());
        WorkerSettings settings = WorkerSettings.defaults().withCheckpointInterval(config.checkpoints().interval())
                .withProcessing(config.processing().threads(), config.processing().processorAttempts())
                .withStallAfter(config.processing().stallAfter())
                .withStuckAfter(config.processing().stuckAfter())
                .withParallelism(config.processing().parallelism());
        if (config.processing().deadLetter().isPresent()) {
            DeadLetterSink sink = open(deadLetters(config.processing().deadLetter().get()));
            settings = settings.withDeadLetters(sink);
            LOG.info("a record that fails {} attempts goes to {} (processing.deadLetter), at least once",
                    config.processing().processorAttempts(), sink.describe());
        }
        worker = StreamWorker.start(coordinator, info, store, bindings, processors, settings, runtime);
    }

    /** The processor the configuration names, with its options. */
    private static RecordProcessorFactory configured(FleetConfig config, WorkerInfo info) {
        if (config.processor().type().isEmpty()) {
            throw new ConfigException("processor.type: missing; name log, jsonl or your processor's class (an application"
                    + " that embeds the worker may give it with Streamfleet.worker().processor(...) instead)");
        }
        try {
            return BuiltInProcessors.resolve(config.processor().type(), config.processor().options(), info.id());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("processor: " + e.getMessage());
        }
    }

    /** The dead-letter destination; its client retries on its own (the readers' clients do not). */
    private static DeadLetterSink deadLetters(FleetConfig.DeadLetter target) {
        if (target instanceof FleetConfig.DeadLetterKafka kafka) {
            return new KafkaDeadLetterSink(kafka.topic(), kafka.bootstrapServers(), kafka.properties());
        }
        FleetConfig.DeadLetterKinesis kinesis = (FleetConfig.DeadLetterKinesis) target;
        KinesisClientBuilder builder = KinesisClient.builder().region(Region.of(kinesis.region()))
                .httpClientBuilder(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(2))
                        .socketTimeout(Duration.ofSeconds(10)));
        kinesis.endpoint().ifPresent(builder::endpointOverride);
        return new KinesisDeadLetterSink(builder.build(), kinesis.stream());
    }

    /** The thread that lists a stream's closed shards for its fan-out readers, off their units' threads. */
    private java.util.concurrent.Executor listingThread(String stream) {
        java.util.concurrent.ExecutorService thread = java.util.concurrent.Executors.newSingleThreadExecutor(task -> {
            Thread listing = new Thread(task, "streamfleet-closed-shards-" + stream);
            listing.setDaemon(true);
            return listing;
        });
        open((AutoCloseable) thread::shutdownNow);
        return thread;
    }

    private <T extends AutoCloseable> T open(T resource) {
        resources.push(resource);
        return resource;
    }

    StreamWorker worker() {
        return worker;
    }

    /** The fleet's checkpoint store. */
    dev.streamfleet.checkpoint.CheckpointStore store() {
        return store;
    }

    /** Hands every unit over gracefully, then closes the clients. */
    @Override
    public void close() {
        if (worker != null) {
            worker.close();
            worker = null;
        }
        while (!resources.isEmpty()) {
            try {
                resources.pop().close();
            } catch (Exception e) {
                // Closing anyway.
            }
        }
    }
}
