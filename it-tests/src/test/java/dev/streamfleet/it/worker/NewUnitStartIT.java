package dev.streamfleet.it.worker;

import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.internal.dynamodb.DynamoDbCheckpointConfig;
import dev.streamfleet.checkpoint.internal.dynamodb.DynamoDbCheckpointTable;
import dev.streamfleet.coordinator.CoordinatorConfig;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.core.SourceKind;
import dev.streamfleet.it.LocalStackExtension;
import dev.streamfleet.worker.SourceBinding;
import dev.streamfleet.worker.internal.runtime.StreamWorker;
import dev.streamfleet.worker.internal.runtime.WorkerSettings;
import dev.streamfleet.worker.config.FleetConfig;
import dev.streamfleet.worker.config.FleetConfigLoader;
import dev.streamfleet.worker.internal.kafka.KafkaConsumerThread;
import dev.streamfleet.worker.internal.kafka.KafkaDiscovery;
import dev.streamfleet.worker.internal.kafka.KafkaSourceConfig;
import dev.streamfleet.worker.internal.kinesis.KinesisDiscovery;
import dev.streamfleet.worker.internal.kinesis.KinesisSourceConfig;
import dev.streamfleet.worker.internal.kinesis.KinesisSources;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 24 item 1: with {@code initialPosition} left out of the configuration (LATEST), a unit
 * created while the fleet runs (child shards of a split or merge, a partition added to a topic)
 * is read from its beginning, so nothing acknowledged after the fleet started reading is lost.
 * Real worker, kinesis-local, dynalite, ZooKeeper and a KRaft broker.
 */
class NewUnitStartIT {

    @RegisterExtension
    static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withZooKeeper(1).withKinesis().withDynamoDb()
            .withKafka());

    private static DynamoDbCheckpointTable table;
    private static KinesisClient kinesis;

    @BeforeAll
    static void connect() {
        table = DynamoDbCheckpointTable.open(DynamoDbCheckpointConfig.local("start-it",
                URI.create(SERVERS.stack().dynamodb().endpoint())));
        kinesis = TestStreams.client(SERVERS.stack().kinesis().endpoint());
    }

    @AfterAll
    static void disconnect() {
        kinesis.close();
        table.close();
    }

    /** The source as a configuration file without {@code initialPosition} loads it: the default under test. */
    private static FleetConfig.Source configured(String sourceYaml) {
        FleetConfig config = FleetConfigLoader.fromYaml("""
                application: start-it
                zookeeper:
                  connect: %s
                checkpoints:
                  table: start-it
                  region: us-east-1
                  endpoint: %s
                sources:
                %s""".formatted(SERVERS.stack().zookeeper().endpoint(), SERVERS.stack().dynamodb().endpoint(),
                sourceYaml.indent(2)));
        return config.sources().get(0);
    }

    private static String application(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static StreamWorker startWorker(String application, SourceBinding binding, CollectingProcessor collector,
                                            Duration discoveryInterval) {
        CheckpointStore store = table.store(application);
        WorkerId id = WorkerId.of("w1");
        return StreamWorker.start(CoordinatorConfig.of(application, SERVERS.stack().zookeeper().endpoint())
                        .withSessionTimeout(Duration.ofSeconds(4)).withDiscoveryInterval(discoveryInterval),
                new WorkerInfo(id, "localhost", "", Instant.now(), "test", 1), store, List.of(binding),
                collector.factory(id), WorkerSettings.defaults().withCheckpointInterval(Duration.ofMillis(500)));
    }

    /** The ids in {@code [from, to)} the processor never saw. */
    private static Set<Integer> missing(CollectingProcessor collector, int from, int to) {
        Set<String> seen = new HashSet<>(collector.data());
        Set<Integer> missing = new TreeSet<>();
        for (int i = from; i < to; i++) {
            if (!seen.contains("id-" + i)) {
                missing.add(i);
            }
        }
        return missing;
    }

    @Test
    void recordsWrittenIntoChildShardsBeforeTheirFirstReadAreNotSkipped() throws Exception {
        FleetConfig.Kinesis source = (FleetConfig.Kinesis) configured("""
                - kinesis:
                    stream: any
                    region: us-east-1
                """);
        assertThat(source.initialPosition()).as("the default under test").isEqualTo(Position.LATEST);
        String stream = TestStreams.create(kinesis, "start", 1);
        SourceBinding binding = new SourceBinding(SourceKind.KINESIS, stream, new KinesisDiscovery(kinesis, stream),
                new KinesisSources(kinesis, new KinesisSourceConfig(stream, source.initialPosition(),
                        KinesisSourceConfig.DEFAULT_LIMIT, KinesisSourceConfig.DEFAULT_IDLE_WAIT)));
        CollectingProcessor collector = new CollectingProcessor();
        try (StreamWorker worker = startWorker(application("kinesis"), binding, collector, Duration.ofSeconds(30))) {
            int firstAfterRead = produceUntilRead(collector, (from, to) -> TestStreams.put(kinesis, stream, from, to, 10));
            TestStreams.put(kinesis, stream, firstAfterRead, firstAfterRead + 100, 10);
            String parent = kinesis.listShards(r -> r.streamName(stream)).shards().get(0).shardId();
            TestStreams.splitInHalf(kinesis, stream, parent);
            TestStreams.put(kinesis, stream, firstAfterRead + 100, firstAfterRead + 250, 10);
            List<String> children = kinesis.listShards(r -> r.streamName(stream)).shards().stream()
                    .filter(shard -> parent.equals(shard.parentShardId())).map(Shard::shardId).sorted().toList();
            assertThat(children).hasSize(2);
            kinesis.mergeShards(r -> r.streamName(stream).shardToMerge(children.get(0)).adjacentShardToMerge(children.get(1)));
            TestStreams.awaitActive(kinesis, stream);
            int end = firstAfterRead + 350;
            TestStreams.put(kinesis, stream, firstAfterRead + 250, end, 10);

            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(missing(collector, firstAfterRead, end)).as("records acknowledged after the first read"
                            + " and never processed (of %d..%d)", firstAfterRead, end - 1).isEmpty());
            assertThat(collector.seen().stream().map(CollectingProcessor.Seen::unit).distinct())
                    .as("parent, two children, merged child").hasSize(4);
        }
    }

    @Test
    void recordsWrittenIntoAPartitionAddedWhileTheFleetRunsAreNotSkipped() throws Exception {
        String bootstrap = SERVERS.stack().kafka().endpoint();
        FleetConfig.Kafka source = (FleetConfig.Kafka) configured("""
                - kafka:
                    topic: any
                    bootstrapServers: %s
                """.formatted(bootstrap));
        assertThat(source.initialPosition()).as("the default under test").isEqualTo(Position.LATEST);
        String topic = TestTopics.create(bootstrap, "start", 1);
        KafkaConsumerThread consumer = new KafkaConsumerThread(bootstrap, Map.of(), "w1");
        KafkaDiscovery discovery = new KafkaDiscovery(KafkaSourceConfig.of(topic, bootstrap, source.initialPosition()));
        SourceBinding binding = new SourceBinding(SourceKind.KAFKA, topic, discovery, consumer.topic(source.initialPosition()));
        CollectingProcessor collector = new CollectingProcessor();
        try (KafkaProducer<String, String> producer = producer(bootstrap);
             StreamWorker worker = startWorker(application("kafka"), binding, collector, Duration.ofSeconds(1))) {
            int firstAfterRead = produceUntilRead(collector, (from, to) -> send(producer, topic, 0, from, to));
            send(producer, topic, 0, firstAfterRead, firstAfterRead + 50);
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(2))).all().get(30, TimeUnit.SECONDS);
            }
            int end = firstAfterRead + 250;
            // Straight into the new partition, before the leader's next look for new units (every second) finds it.
            send(producer, topic, 1, firstAfterRead + 50, end);

            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(missing(collector, firstAfterRead, end)).as("records acknowledged after the first read"
                            + " and never processed (of %d..%d)", firstAfterRead, end - 1).isEmpty());
            assertThat(collector.seen().stream().map(CollectingProcessor.Seen::unit).distinct()).hasSize(2);
        } finally {
            consumer.close();
            discovery.close();
        }
    }

    /** Waits until the worker has claimed {@code unit}: its row carries an epoch. */
    private static void awaitClaimed(String application, UnitId unit) {
        CheckpointStore store = table.store(application);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> store.read(unit).flatMap(dev.streamfleet.checkpoint.Checkpoint::epoch).isPresent());
    }

    @Test
    void aPartitionHandedOverBeforeItsFirstCheckpointIsReadFromWhereItsFirstOwnerStarted() throws Exception {
        String bootstrap = SERVERS.stack().kafka().endpoint();
        String topic = TestTopics.create(bootstrap, "handover", 1);
        String application = application("kafka-handover");
        CollectingProcessor first = new CollectingProcessor();
        CollectingProcessor second = new CollectingProcessor();
        try (KafkaProducer<String, String> producer = producer(bootstrap)) {
            // Before the application's first start: LATEST leaves these out.
            send(producer, topic, 0, 0, 20);
            runKafkaWorker(bootstrap, topic, application, first, () -> awaitClaimed(application, UnitId.kafka(topic, 0)));
            assertThat(first.data()).as("the first owner read nothing, so it wrote no checkpoint").isEmpty();
            // Written while the partition has no owner, after the application started reading it.
            send(producer, topic, 0, 20, 70);
            runKafkaWorker(bootstrap, topic, application, second, () -> {
                send(producer, topic, 0, 70, 90);
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                        assertThat(missing(second, 20, 90)).as("records written after the first owner started reading"
                                + " and never processed").isEmpty());
            });
        }
        assertThat(missing(second, 0, 20)).as("LATEST still leaves out what came before the first start").hasSize(20);
    }

    @Test
    void aShardHandedOverBeforeItsFirstCheckpointIsReadFromWhereItsFirstOwnerStarted() throws Exception {
        String stream = TestStreams.create(kinesis, "handover", 1);
        String application = application("kinesis-handover");
        String shard = kinesis.listShards(r -> r.streamName(stream)).shards().get(0).shardId();
        CollectingProcessor first = new CollectingProcessor();
        CollectingProcessor second = new CollectingProcessor();
        runKinesisWorker(stream, application, first, () -> awaitClaimed(application, UnitId.kinesis(stream, shard)));
        assertThat(first.data()).as("the first owner read nothing, so it wrote no checkpoint").isEmpty();
        TestStreams.put(kinesis, stream, 0, 50, 10);
        runKinesisWorker(stream, application, second, () -> {
            TestStreams.put(kinesis, stream, 50, 70, 10);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(missing(second, 0, 70)).as("records written after the first owner started reading"
                            + " and never processed").isEmpty());
        });
    }

    /** While {@code during} runs, a worker of {@code application} reads the topic with the default LATEST. */
    private static void runKafkaWorker(String bootstrap, String topic, String application, CollectingProcessor collector,
                                       Producing.Step during) throws Exception {
        KafkaConsumerThread consumer = new KafkaConsumerThread(bootstrap, Map.of(), "w1");
        KafkaDiscovery discovery = new KafkaDiscovery(KafkaSourceConfig.of(topic, bootstrap, Position.LATEST));
        SourceBinding binding = new SourceBinding(SourceKind.KAFKA, topic, discovery, consumer.topic(Position.LATEST));
        try (StreamWorker worker = startWorker(application, binding, collector, Duration.ofSeconds(30))) {
            during.run();
        } finally {
            consumer.close();
            discovery.close();
        }
    }

    /** While {@code during} runs, a worker of {@code application} reads the stream with the default LATEST. */
    private static void runKinesisWorker(String stream, String application, CollectingProcessor collector,
                                         Producing.Step during) throws Exception {
        SourceBinding binding = new SourceBinding(SourceKind.KINESIS, stream,
                new KinesisDiscovery(kinesis, stream, Position.LATEST, java.time.Clock.systemUTC()),
                new KinesisSources(kinesis, new KinesisSourceConfig(stream, Position.LATEST,
                        KinesisSourceConfig.DEFAULT_LIMIT, KinesisSourceConfig.DEFAULT_IDLE_WAIT)));
        try (StreamWorker worker = startWorker(application, binding, collector, Duration.ofSeconds(30))) {
            during.run();
        }
    }

    /** Writes records {@code [from, to)}, acknowledged when it returns. */
    @FunctionalInterface
    private interface Producing {
        void produce(int from, int to) throws Exception;

        /** Something a test does while a worker runs. */
        @FunctionalInterface
        interface Step {
            void run() throws Exception;
        }
    }

    /**
     * Under LATEST, what was written before the worker's first read is legitimately skipped: produce
     * small batches until the worker has read one, and return the first id produced after that.
     */
    private static int produceUntilRead(CollectingProcessor collector, Producing producing) throws Exception {
        int produced = 0;
        Instant giveUp = Instant.now().plusSeconds(60);
        while (collector.data().isEmpty()) {
            assertThat(Instant.now()).as("the worker read nothing within 60 s").isBefore(giveUp);
            producing.produce(produced, produced + 5);
            produced += 5;
            pause(Duration.ofMillis(200));
        }
        return produced;
    }

    private static KafkaProducer<String, String> producer(String bootstrap) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.METADATA_MAX_AGE_CONFIG, "500");
        return new KafkaProducer<>(props);
    }

    private static void send(KafkaProducer<String, String> producer, String topic, int partition, int from, int to)
            throws Exception {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (int i = from; i < to; i++) {
            sent.add(producer.send(new ProducerRecord<>(topic, partition, "key-" + (i % 10), "id-" + i)));
        }
        producer.flush();
        for (Future<RecordMetadata> future : sent) {
            future.get(30, TimeUnit.SECONDS);
        }
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
