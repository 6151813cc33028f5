package dev.streamfleet.it.worker;

import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.internal.memory.InMemoryCheckpointTable;
import dev.streamfleet.coordinator.CoordinatorConfig;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.SourceKind;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.it.LocalStackExtension;
import dev.streamfleet.worker.SourceBinding;
import dev.streamfleet.worker.internal.runtime.StreamWorker;
import dev.streamfleet.worker.internal.runtime.WorkerSettings;
import dev.streamfleet.worker.internal.kafka.KafkaConsumerThread;
import dev.streamfleet.worker.internal.kafka.KafkaDiscovery;
import dev.streamfleet.worker.internal.kafka.KafkaSourceConfig;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A worker reading Kafka partitions with assign(), on the KRaft broker and a real ZooKeeper. */
class KafkaWorkerIT {

    @RegisterExtension
    static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withZooKeeper(1).withKafka());

    private final InMemoryCheckpointTable table = new InMemoryCheckpointTable();

    private static String bootstrap() {
        return SERVERS.stack().kafka().endpoint();
    }

    private static String createTopic(int partitions) throws Exception {
        return TestTopics.create(bootstrap(), "orders", partitions);
    }

    private static KafkaProducer<String, String> producer() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return new KafkaProducer<>(props);
    }

    private static void produce(String topic, int from, int to, int keys) throws Exception {
        try (KafkaProducer<String, String> producer = producer()) {
            List<java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata>> sent = new java.util.ArrayList<>();
            for (int i = from; i < to; i++) {
                sent.add(producer.send(new ProducerRecord<>(topic, "key-" + (i % keys), "id-" + i)));
            }
            producer.flush();
            for (var future : sent) {
                future.get(30, TimeUnit.SECONDS);
            }
        }
    }

    private RunningKafkaWorker start(String application, String topic, String name, CollectingProcessor collector) {
        return start(application, topic, name, collector, java.util.Optional.empty());
    }

    private RunningKafkaWorker start(String application, String topic, String name, CollectingProcessor collector,
                          java.util.Optional<String> mirrorGroup) {
        return start(application, topic, name, collector, mirrorGroup, Position.TRIM_HORIZON);
    }

    private RunningKafkaWorker start(String application, String topic, String name, CollectingProcessor collector,
                          java.util.Optional<String> mirrorGroup, Position initialPosition) {
        CheckpointStore store = table.store(application);
        WorkerId id = WorkerId.of(name);
        KafkaSourceConfig config = KafkaSourceConfig.of(topic, bootstrap(), initialPosition);
        KafkaConsumerThread consumer = new KafkaConsumerThread(bootstrap(), Map.of(), name, mirrorGroup);
        KafkaDiscovery discovery = new KafkaDiscovery(config);
        SourceBinding binding = new SourceBinding(SourceKind.KAFKA, topic, discovery, consumer.topic(initialPosition));
        StreamWorker worker = StreamWorker.start(
                CoordinatorConfig.of(application, SERVERS.stack().zookeeper().endpoint()).withSessionTimeout(Duration.ofSeconds(4)),
                new WorkerInfo(id, "localhost", "", Instant.now(), "test", 1), store, List.of(binding),
                collector.factory(id), WorkerSettings.defaults().withCheckpointInterval(Duration.ofMillis(500)));
        return new RunningKafkaWorker(worker, consumer, discovery);
    }

    private static Set<String> ids(int from, int to) {
        Set<String> ids = new HashSet<>();
        for (int i = from; i < to; i++) {
            ids.add("id-" + i);
        }
        return ids;
    }

    private static void assertInOrderPerPartitionAndKey(List<CollectingProcessor.Seen> seen) {
        Map<UnitId, Long> lastOffset = new HashMap<>();
        Map<String, Integer> lastId = new HashMap<>();
        for (CollectingProcessor.Seen record : seen) {
            long offset = ((Position.Offset) record.position()).nextOffset();
            Long previous = lastOffset.put(record.unit(), offset);
            if (previous != null) {
                assertThat(offset).as("offsets of %s", record.unit()).isGreaterThan(previous);
            }
            int id = Integer.parseInt(record.data().substring(3));
            Integer previousId = lastId.put(record.partitionKey(), id);
            if (previousId != null) {
                assertThat(id).as("order of key %s", record.partitionKey()).isGreaterThan(previousId);
            }
        }
    }

    /** Records whose create time the test sets, so that AT_TIMESTAMP has a boundary without waiting. */
    private static void produceAt(String topic, int from, int to, Instant createdAt) throws Exception {
        try (KafkaProducer<String, String> producer = producer()) {
            for (int i = from; i < to; i++) {
                producer.send(new ProducerRecord<>(topic, i % 2, createdAt.toEpochMilli(), "key-" + (i % 2), "id-" + i))
                        .get(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aCaughtUpOrEmptyPartitionReportsLagZeroSoItsChartAndMetricDoNotVanish() throws Exception {
        String topic = createTopic(2);
        try (KafkaProducer<String, String> producer = producer()) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, 0, "key", "id-" + i)).get(30, TimeUnit.SECONDS);
            }
        }
        CollectingProcessor collector = new CollectingProcessor();

        try (RunningKafkaWorker running = start("kafka-" + UUID.randomUUID().toString().substring(0, 8), topic, "w1",
                collector)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> collector.data().size() == 10);
            // Partition 0 is caught up, partition 1 never had a record: both are 0 behind, which is known, not unknown.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(running.worker().unitMetrics().values())
                    .hasSize(2).allSatisfy(unit -> assertThat(unit.offsetLag()).as(unit.unit().toString()).hasValue(0)));
        }
    }

    @Test
    void atTimestampStartsAtTheFirstRecordFromThenAndDoesNotKillTheClustersConsumer() throws Exception {
        String topic = createTopic(2);
        Instant now = Instant.now();
        produceAt(topic, 0, 10, now.minus(Duration.ofHours(2)));
        produceAt(topic, 10, 20, now.minus(Duration.ofMinutes(10)));
        CollectingProcessor collector = new CollectingProcessor();

        try (RunningKafkaWorker running = start("kafka-" + UUID.randomUUID().toString().substring(0, 8), topic, "w1", collector,
                java.util.Optional.empty(), new Position.AtTimestamp(now.minus(Duration.ofHours(1))))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> new HashSet<>(collector.data()).containsAll(ids(10, 20)));
            // The consumer thread lives on: records produced later arrive too.
            produce(topic, 20, 30, 2);
            await().atMost(Duration.ofSeconds(60)).until(() -> new HashSet<>(collector.data()).containsAll(ids(20, 30)));
        }
        assertThat(collector.data()).doesNotContainAnyElementsOf(ids(0, 10)).hasSize(20);
    }

    @Test
    void headersBinaryKeysAndTheTimestampTypeReachTheProcessorAsProduced() throws Exception {
        String topic = createTopic(1);
        byte[] binaryKey = {(byte) 0xFF, 0x00, (byte) 0xC3, 0x28};
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.ByteArraySerializer.class.getName());
        Instant created = Instant.parse("2026-11-30T01:02:03.004Z");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            ProducerRecord<byte[], byte[]> binary = new ProducerRecord<>(topic, 0, created.toEpochMilli(), binaryKey,
                    "id-0".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            binary.headers().add("trace", "abc".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                    .add("trace", new byte[] {1, 2}).add("empty", null);
            producer.send(binary).get(30, TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>(topic, 0, created.toEpochMilli(), "key-é".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    "id-1".getBytes(java.nio.charset.StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>(topic, 0, created.toEpochMilli(), null,
                    "id-2".getBytes(java.nio.charset.StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
        }
        CollectingProcessor collector = new CollectingProcessor();

        try (RunningKafkaWorker running = start("kafka-" + UUID.randomUUID().toString().substring(0, 8), topic, "w1", collector)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> collector.records().size() >= 3);
        }

        List<dev.streamfleet.worker.StreamRecord> records = collector.records();
        dev.streamfleet.worker.StreamRecord binary = records.get(0);
        assertThat(binary.key()).as("raw key bytes, not a lossy UTF-8 decoding").isEqualTo(binaryKey);
        assertThat(binary.partitionKey()).isEqualTo("base64:" + java.util.Base64.getEncoder().encodeToString(binaryKey));
        assertThat(binary.headers()).extracting(dev.streamfleet.worker.RecordHeader::key).containsExactly("trace", "trace", "empty");
        assertThat(binary.headers().get(0).value()).isEqualTo("abc".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(binary.headers().get(1).value()).isEqualTo(new byte[] {1, 2});
        assertThat(binary.headers().get(2).value()).isEmpty();
        assertThat(binary.timestampType()).isEqualTo(dev.streamfleet.worker.TimestampType.CREATE_TIME);
        assertThat(binary.arrivalTime()).isEqualTo(created);
        assertThat(records.get(1).partitionKey()).as("a key that decodes cleanly reads as text").isEqualTo("key-é");
        assertThat(records.get(2).key()).isEmpty();
        assertThat(records.get(2).partitionKey()).isEmpty();
        assertThat(records.get(2).headers()).isEmpty();
    }

    @Test
    void singleWorkerProcessesEveryRecordOfAFourPartitionTopicInOrder() throws Exception {
        String topic = createTopic(4);
        produce(topic, 0, 1_000, 40);
        CollectingProcessor collector = new CollectingProcessor();

        try (RunningKafkaWorker running = start("kafka-" + UUID.randomUUID().toString().substring(0, 8), topic, "w1", collector)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> new HashSet<>(collector.data()).containsAll(ids(0, 1_000)));
        }

        assertThat(collector.data()).hasSize(1_000);
        assertThat(collector.seen().stream().map(CollectingProcessor.Seen::unit).distinct()).hasSize(4);
        assertInOrderPerPartitionAndKey(collector.seen());
    }

    @Test
    void checkpointsAreMirroredIntoAConsumerGroupForLagTools() throws Exception {
        String topic = createTopic(2);
        produce(topic, 0, 300, 10);
        String group = "mirror-" + UUID.randomUUID().toString().substring(0, 8);
        String application = "kafka-" + UUID.randomUUID().toString().substring(0, 8);
        CollectingProcessor collector = new CollectingProcessor();

        try (RunningKafkaWorker running = start(application, topic, "w1", collector, java.util.Optional.of(group));
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> new HashSet<>(collector.data()).containsAll(ids(0, 300)));
            await().atMost(Duration.ofSeconds(30)).until(() -> admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS).values().stream()
                    .mapToLong(org.apache.kafka.clients.consumer.OffsetAndMetadata::offset).sum() == 300);
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> mirrored =
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            for (var entry : mirrored.entrySet()) {
                UnitId unit = UnitId.kafka(topic, entry.getKey().partition());
                assertThat(table.store(application).read(unit).flatMap(dev.streamfleet.checkpoint.Checkpoint::position))
                        .as("the store and the mirror agree on %s", unit)
                        .contains(new Position.Offset(entry.getValue().offset()));
            }
        }
    }

    @Test
    void gracefulHandoverBetweenWorkersDeliversNothingTwice() throws Exception {
        String topic = createTopic(4);
        String application = "kafka-" + UUID.randomUUID().toString().substring(0, 8);
        produce(topic, 0, 400, 40);
        CollectingProcessor collector = new CollectingProcessor();

        try (RunningKafkaWorker first = start(application, topic, "w1", collector)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> new HashSet<>(collector.data()).containsAll(ids(0, 400)));
            try (RunningKafkaWorker second = start(application, topic, "w2", collector)) {
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        second.worker().units().size() == 2 && first.worker().units().size() == 2);
                produce(topic, 400, 800, 40);
                await().atMost(Duration.ofSeconds(60)).until(() -> new HashSet<>(collector.data()).containsAll(ids(400, 800)));
            }
            produce(topic, 800, 1_000, 40);
            await().atMost(Duration.ofSeconds(60)).until(() -> new HashSet<>(collector.data()).containsAll(ids(800, 1_000)));
        }

        assertThat(collector.data()).as("every record exactly once across two graceful moves")
                .hasSize(1_000).doesNotHaveDuplicates();
        assertThat(collector.seen().stream().map(s -> s.worker().value()).distinct()).containsExactlyInAnyOrder("w1", "w2");
        assertInOrderPerPartitionAndKey(collector.seen());
    }

    /** A worker of {@code application} reads the topic's first {@code records} records and hands them over on close, checkpointed. */
    private void checkpointFirst(String application, String topic, int records) {
        UnitId unit = UnitId.kafka(topic, 0);
        CollectingProcessor first = new CollectingProcessor();
        try (RunningKafkaWorker running = start(application, topic, "w1", first)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> first.data().size() >= records);
        }
        assertThat(first.data()).containsExactlyElementsOf(idList(0, records));
        assertThat(table.store(application).read(unit).flatMap(dev.streamfleet.checkpoint.Checkpoint::position))
                .as("the graceful stop checkpointed everything processed").contains(new Position.Offset(records));
    }

    private static List<String> idList(int from, int to) {
        return java.util.stream.IntStream.range(from, to).mapToObj(i -> "id-" + i).toList();
    }

    @Test
    void aCheckpointBeforeTheLogStartGoesOnAtTheLogStartAndReportsTheSkipEverywhere() throws Exception {
        long started = System.nanoTime();
        String topic = createTopic(1);
        String application = "kafka-" + UUID.randomUUID().toString().substring(0, 8);
        UnitId unit = UnitId.kafka(topic, 0);
        produce(topic, 0, 10, 3);
        checkpointFirst(application, topic, 10);

        // While no worker runs, 20 more records arrive and DeleteRecords moves the log start past the checkpoint (10).
        produce(topic, 10, 30, 3);
        org.apache.kafka.common.TopicPartition partition = new org.apache.kafka.common.TopicPartition(topic, 0);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()))) {
            long logStart = admin.deleteRecords(Map.of(partition, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(20)))
                    .lowWatermarks().get(partition).get(30, TimeUnit.SECONDS).lowWatermark();
            assertThat(logStart).isEqualTo(20);
        }

        CollectingProcessor second = new CollectingProcessor();
        try (RunningKafkaWorker running = start(application, topic, "w2", second);
             StatusEndpoints status = StatusEndpoints.serving(running.worker(), table.store(application))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> second.data().size() >= 10);
            assertThat(running.worker().retentionSkips()).containsOnlyKeys(unit);
            assertThat(running.worker().retentionSkips().get(unit)).startsWith("1 read skipped")
                    .contains("offset 10 is no longer retained");
            assertThat(running.worker().metrics().counter("streamfleet.worker.retention.skips").getCount()).isEqualTo(1);
            assertThat(status.metric("streamfleet_worker_retention_skips_total")).hasValue(1.0);
            com.fasterxml.jackson.databind.JsonNode skips = status.json("/health").path("retentionSkips");
            assertThat(skips).hasSize(1);
            assertThat(skips.get(0).path("unit").asText()).isEqualTo(unit.toString());
            assertThat(skips.get(0).path("reason").asText()).contains("offset 10 is no longer retained");
            assertThat(status.json("/api/worker").path("units").get(0).path("retentionSkipped").asText())
                    .contains("offset 10 is no longer retained");
            await().atMost(Duration.ofSeconds(10)).until(() -> table.store(application).read(unit)
                    .flatMap(dev.streamfleet.checkpoint.Checkpoint::position).equals(java.util.Optional.of(new Position.Offset(30))));
        }

        assertThat(second.data()).as("from the new log start on, in order, nothing that was deleted")
                .containsExactlyElementsOf(idList(20, 30));
        System.out.printf("retention scenario took %d ms%n", (System.nanoTime() - started) / 1_000_000);
    }

    @Test
    void aCheckpointPastTheEndOfARecreatedTopicFailsTheUnitUntilAResetMovesIt() throws Exception {
        long started = System.nanoTime();
        String topic = createTopic(1);
        String application = "kafka-" + UUID.randomUUID().toString().substring(0, 8);
        UnitId unit = UnitId.kafka(topic, 0);
        produce(topic, 0, 20, 3);
        checkpointFirst(application, topic, 20);

        // While no worker runs, the topic is deleted and created again: its new log ends at 5, the checkpoint says 20.
        TestTopics.recreate(bootstrap(), topic, 1);
        produce(topic, 100, 105, 3);

        CollectingProcessor second = new CollectingProcessor();
        try (RunningKafkaWorker running = start(application, topic, "w2", second);
             StatusEndpoints status = StatusEndpoints.serving(running.worker(), table.store(application))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> running.worker().failures().containsKey(unit));
            assertThat(running.worker().failures().get(unit)).contains("past the end").contains("offset 20")
                    .contains("(offset 5)").contains("checkpoints reset");
            assertThat(running.worker().units()).containsEntry(unit, dev.streamfleet.coordinator.UnitState.FAILED);
            com.fasterxml.jackson.databind.JsonNode failed = status.json("/health").path("failed");
            assertThat(failed).hasSize(1);
            assertThat(failed.get(0).path("unit").asText()).isEqualTo(unit.toString());
            assertThat(failed.get(0).path("reason").asText()).contains("past the end");
            assertThat(running.worker().retentionSkips()).as("not a retention skip").isEmpty();
            assertThat(second.data()).as("nothing of the new log is taken as processed").isEmpty();
            assertThat(table.store(application).read(unit).flatMap(dev.streamfleet.checkpoint.Checkpoint::position))
                    .as("the row is left for the operator").contains(new Position.Offset(20));

            // The operator's way out, as `checkpoints reset --to TRIM_HORIZON` takes it: the unit reads the new log.
            table.store(application).reset(unit, Position.TRIM_HORIZON);
            try (dev.streamfleet.coordinator.internal.zk.FleetReader zookeeper = dev.streamfleet.coordinator.internal.zk.FleetReader
                    .connect(SERVERS.stack().zookeeper().endpoint(), Duration.ofSeconds(10))) {
                assertThat(zookeeper.restartUnit(application, unit)).as("the FAILED unit held its lease").isTrue();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> second.data().size() >= 5);
            await().atMost(Duration.ofSeconds(10)).until(() -> running.worker().failures().isEmpty());
        }

        assertThat(second.data()).containsExactlyElementsOf(idList(100, 105));
        System.out.printf("past-the-end scenario took %d ms%n", (System.nanoTime() - started) / 1_000_000);
    }

    @Test
    void aTopicRecreatedWhileAWorkerReadsItFailsTheUnitPastTheEnd() throws Exception {
        long started = System.nanoTime();
        String topic = createTopic(1);
        String application = "kafka-" + UUID.randomUUID().toString().substring(0, 8);
        UnitId unit = UnitId.kafka(topic, 0);
        produce(topic, 0, 20, 3);
        CollectingProcessor collector = new CollectingProcessor();

        try (RunningKafkaWorker running = start(application, topic, "w1", collector);
             StatusEndpoints status = StatusEndpoints.serving(running.worker(), table.store(application))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> table.store(application).read(unit)
                    .flatMap(dev.streamfleet.checkpoint.Checkpoint::position).equals(java.util.Optional.of(new Position.Offset(20))));
            // The consumer is at offset 20 when the topic goes away (its fetches fail with UNKNOWN_TOPIC_OR_PARTITION)
            // and comes back empty under a new topic id.
            TestTopics.recreate(bootstrap(), topic, 1);
            produce(topic, 100, 105, 3);

            await().atMost(Duration.ofSeconds(30)).until(() -> running.worker().failures().containsKey(unit));
            assertThat(running.worker().failures().get(unit)).contains("offset 20 is past the end")
                    .contains("checkpoints reset");
            assertThat(running.worker().units()).containsEntry(unit, dev.streamfleet.coordinator.UnitState.FAILED);
            assertThat(status.json("/health").path("failed").findValuesAsText("unit")).containsExactly(unit.toString());
            assertThat(table.store(application).read(unit).flatMap(dev.streamfleet.checkpoint.Checkpoint::position))
                    .as("the row is left for the operator").contains(new Position.Offset(20));
        }

        assertThat(collector.data()).as("the old log's records, none of the new one's").containsExactlyElementsOf(idList(0, 20));
        System.out.printf("recreated-while-reading scenario took %d ms%n", (System.nanoTime() - started) / 1_000_000);
    }
}
