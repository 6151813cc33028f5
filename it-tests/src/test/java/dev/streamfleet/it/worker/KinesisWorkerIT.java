package dev.streamfleet.it.worker;

import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.internal.dynamodb.DynamoDbCheckpointConfig;
import dev.streamfleet.checkpoint.internal.dynamodb.DynamoDbCheckpointTable;
import dev.streamfleet.coordinator.CoordinatorConfig;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.SourceKind;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.it.LocalStackExtension;
import dev.streamfleet.worker.RecordSourceFactory;
import dev.streamfleet.worker.SourceBinding;
import dev.streamfleet.worker.internal.runtime.StreamWorker;
import dev.streamfleet.worker.internal.runtime.WorkerSettings;
import dev.streamfleet.worker.internal.kinesis.KinesisDiscovery;
import dev.streamfleet.worker.internal.kinesis.KinesisSourceConfig;
import dev.streamfleet.worker.internal.kinesis.KinesisSources;
import dev.streamfleet.worker.internal.kinesis.KplAggregates;
import dev.streamfleet.worker.internal.kinesis.KplAggregation;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.kinesis.KinesisClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A worker reading Kinesis shards directly, on kinesis-local, dynalite and a real ZooKeeper, by
 * polling; {@link FanOutWorkerIT} runs the same tests with the enhanced fan-out reader.
 */
class KinesisWorkerIT {

    @RegisterExtension
    static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withZooKeeper(1).withKinesis().withDynamoDb());

    private static DynamoDbCheckpointTable table;
    static KinesisClient kinesis;

    @BeforeAll
    static void connect() {
        // Injected faults are written as JSON error bodies, so the test clients speak JSON, not CBOR.
        System.setProperty("aws.cborEnabled", "false");
        table = DynamoDbCheckpointTable.open(DynamoDbCheckpointConfig.local("worker-it",
                URI.create(SERVERS.stack().dynamodb().endpoint())));
        kinesis = TestStreams.client(SERVERS.stack().kinesis().endpoint());
    }

    @AfterAll
    static void disconnect() {
        kinesis.close();
        table.close();
    }

    StreamWorker startWorker(String application, String stream, String workerName, KinesisClient client,
                             CollectingProcessor collector) {
        return startWorker(application, stream, workerName, client, collector, KinesisSourceConfig.DEFAULT_LIMIT);
    }

    StreamWorker startWorker(String application, String stream, String workerName, KinesisClient client,
                             CollectingProcessor collector, int limit) {
        CoordinatorConfig coordinator = CoordinatorConfig.of(application, SERVERS.stack().zookeeper().endpoint())
                .withSessionTimeout(Duration.ofSeconds(4));
        CheckpointStore store = table.store(application);
        WorkerId id = WorkerId.of(workerName);
        SourceBinding binding = new SourceBinding(SourceKind.KINESIS, stream, new KinesisDiscovery(client, stream),
                sources(client, stream, limit));
        return StreamWorker.start(coordinator, new WorkerInfo(id, "localhost", "", Instant.now(), "test", 1), store,
                List.of(binding), collector.factory(id), WorkerSettings.defaults().withCheckpointInterval(Duration.ofMillis(500)));
    }

    /** How the worker reads the stream's shards: here by polling GetRecords through {@code client}. */
    RecordSourceFactory sources(KinesisClient client, String stream, int limit) {
        return new KinesisSources(client, new KinesisSourceConfig(stream, Position.TRIM_HORIZON, limit,
                KinesisSourceConfig.DEFAULT_IDLE_WAIT));
    }

    static String application() {
        return "kinesis-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Per unit, positions must strictly increase in the order the processor saw them. */
    static void assertInOrderPerShard(List<CollectingProcessor.Seen> seen) {
        Map<UnitId, Position.Sequence> last = new HashMap<>();
        for (CollectingProcessor.Seen record : seen) {
            Position.Sequence position = (Position.Sequence) record.position();
            Position.Sequence previous = last.put(record.unit(), position);
            if (previous != null) {
                assertThat(position.compareTo(previous)).as("order in %s at %s", record.unit(), record.data()).isPositive();
            }
        }
    }

    /** Per partition key, records must be seen in the order they were produced. */
    static void assertInProductionOrderPerKey(List<CollectingProcessor.Seen> seen) {
        Map<String, Integer> last = new HashMap<>();
        for (CollectingProcessor.Seen record : seen) {
            int id = Integer.parseInt(record.data().substring("id-".length()));
            Integer previous = last.put(record.partitionKey(), id);
            if (previous != null) {
                assertThat(id).as("order of key %s", record.partitionKey()).isGreaterThan(previous);
            }
        }
    }

    static Set<String> ids(int from, int to) {
        Set<String> ids = new HashSet<>();
        for (int i = from; i < to; i++) {
            ids.add("id-" + i);
        }
        return ids;
    }

    @Test
    void singleWorkerProcessesEveryRecordOfAFourShardStreamInOrderPerShard() {
        String stream = TestStreams.create(kinesis, "orders", 4);
        TestStreams.put(kinesis, stream, 0, 400, 40);
        CollectingProcessor collector = new CollectingProcessor();

        try (StreamWorker worker = startWorker(application(), stream, "w1", kinesis, collector)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> new HashSet<>(collector.data()).containsAll(ids(0, 400)));
        }

        List<CollectingProcessor.Seen> seen = collector.seen();
        assertThat(seen).hasSize(400);
        assertThat(seen.stream().map(CollectingProcessor.Seen::unit).distinct()).hasSize(4);
        assertInOrderPerShard(seen);
        assertInProductionOrderPerKey(seen);
    }

    @Test
    void restartedWorkerResumesRightAfterItsLastCheckpoint() {
        String stream = TestStreams.create(kinesis, "restart", 2);
        String application = application();
        TestStreams.put(kinesis, stream, 0, 200, 20);
        CollectingProcessor collector = new CollectingProcessor();

        try (StreamWorker first = startWorker(application, stream, "w1", kinesis, collector)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> new HashSet<>(collector.data()).containsAll(ids(0, 200)));
        }
        TestStreams.put(kinesis, stream, 200, 300, 20);
        try (StreamWorker second = startWorker(application, stream, "w2", kinesis, collector)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> new HashSet<>(collector.data()).containsAll(ids(200, 300)));
        }

        List<String> data = collector.data();
        assertThat(data).as("every record exactly once across a graceful restart").hasSize(300).doesNotHaveDuplicates();
        assertThat(collector.seen().stream().filter(s -> s.worker().value().equals("w2")).map(CollectingProcessor.Seen::data))
                .containsExactlyInAnyOrderElementsOf(ids(200, 300));
        assertInProductionOrderPerKey(collector.seen());
    }

    @Test
    void throttlingServerErrorsAndExpiredIteratorsCauseNoLossNoGapAndNoReplay() {
        KinesisFaults faults = new KinesisFaults();
        try (KinesisClient faulty = TestStreams.client(SERVERS.stack().kinesis().endpoint(), faults)) {
            String stream = TestStreams.create(kinesis, "faults", 2);
            TestStreams.put(kinesis, stream, 0, 300, 30);
            CollectingProcessor collector = new CollectingProcessor();
            faults.failEvery(3);

            // Small batches, so that the 300 records take dozens of GetRecords calls and meet every fault.
            try (StreamWorker worker = startWorker(application(), stream, "w1", faulty, collector, 10)) {
                await().atMost(Duration.ofSeconds(90)).until(() -> new HashSet<>(collector.data()).containsAll(ids(0, 300)));
            }

            assertThat(faults.injected()).as("faults injected").containsKeys("ExpiredIteratorException",
                    "ProvisionedThroughputExceededException", "InternalFailure");
            assertThat(collector.data()).hasSize(300).doesNotHaveDuplicates();
            assertInOrderPerShard(collector.seen());
            assertInProductionOrderPerKey(collector.seen());
        }
    }

    @Test
    void splitAndMergeUnderLoadProcessEveryParentRecordBeforeAnyChildRecord() {
        String stream = TestStreams.create(kinesis, "reshard", 2);
        CollectingProcessor collector = new CollectingProcessor();
        try (StreamWorker worker = startWorker(application(), stream, "w1", kinesis, collector)) {
            TestStreams.put(kinesis, stream, 0, 150, 30);
            software.amazon.awssdk.services.kinesis.model.Shard first = kinesis.listShards(r -> r.streamName(stream)).shards().get(0);
            TestStreams.splitInHalf(kinesis, stream, first.shardId());
            TestStreams.put(kinesis, stream, 150, 300, 30);

            software.amazon.awssdk.services.kinesis.model.Shard upperChild = kinesis.listShards(r -> r.streamName(stream))
                    .shards().stream()
                    .filter(sh -> first.shardId().equals(sh.parentShardId()))
                    .max(java.util.Comparator.comparing(sh -> new java.math.BigInteger(sh.hashKeyRange().startingHashKey())))
                    .orElseThrow();
            String second = kinesis.listShards(r -> r.streamName(stream)).shards().get(1).shardId();
            kinesis.mergeShards(r -> r.streamName(stream).shardToMerge(upperChild.shardId()).adjacentShardToMerge(second));
            awaitActive(stream);
            TestStreams.put(kinesis, stream, 300, 450, 30);

            await().atMost(Duration.ofSeconds(90)).until(() -> new HashSet<>(collector.data()).containsAll(ids(0, 450)));
        }

        assertThat(collector.data()).hasSize(450).doesNotHaveDuplicates();
        assertThat(collector.seen().stream().map(CollectingProcessor.Seen::unit).distinct()).hasSize(5);
        assertInProductionOrderPerKey(collector.seen());
    }

    private static String sequenceOf(String stream, String shard, String data) {
        String iterator = kinesis.getShardIterator(r -> r.streamName(stream).shardId(shard)
                .shardIteratorType(software.amazon.awssdk.services.kinesis.model.ShardIteratorType.TRIM_HORIZON)).shardIterator();
        return kinesis.getRecords(r -> r.shardIterator(iterator).limit(1000)).records().stream()
                .filter(r -> r.data().asUtf8String().equals(data)).findFirst().orElseThrow().sequenceNumber();
    }

    private static void awaitActive(String stream) {
        TestStreams.awaitActive(kinesis, stream);
    }

    @Test
    void processorThatKeepsFailingStopsItsUnitVisiblyAndNothingIsSkipped() {
        String stream = TestStreams.create(kinesis, "poison", 2);
        TestStreams.put(kinesis, stream, 0, 100, 10);
        String application = application();
        List<String> processed = new java.util.concurrent.CopyOnWriteArrayList<>();
        WorkerId id = WorkerId.of("w1");
        dev.streamfleet.worker.RecordProcessorFactory poisoned = unit -> (batch, checkpointer) -> {
            for (dev.streamfleet.worker.StreamRecord record : batch.records()) {
                if (new String(record.data(), java.nio.charset.StandardCharsets.UTF_8).equals("id-13")) {
                    throw new IllegalStateException("cannot handle id-13");
                }
            }
            batch.records().forEach(r -> processed.add(new String(r.data(), java.nio.charset.StandardCharsets.UTF_8)));
        };
        SourceBinding binding = new SourceBinding(SourceKind.KINESIS, stream, new KinesisDiscovery(kinesis, stream),
                sources(kinesis, stream, 5));
        WorkerSettings settings = new WorkerSettings(new dev.streamfleet.worker.internal.runtime.CheckpointPolicy(Duration.ofMillis(100)),
                new dev.streamfleet.core.Backoff(3, Duration.ofMillis(50), Duration.ofMillis(200)), 4);

        try (StreamWorker worker = StreamWorker.start(CoordinatorConfig.of(application, SERVERS.stack().zookeeper().endpoint()),
                new WorkerInfo(id, "localhost", "", Instant.now(), "test", 1), table.store(application), List.of(binding),
                poisoned, settings)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> worker.units().containsValue(
                    dev.streamfleet.coordinator.UnitState.FAILED));
            UnitId failed = worker.failures().keySet().iterator().next();
            assertThat(worker.failures().get(failed)).contains("processor failed 3 times").contains("cannot handle id-13");
            UnitId healthy = worker.units().keySet().stream().filter(u -> !u.equals(failed)).findFirst().orElseThrow();
            await().atMost(Duration.ofSeconds(30)).until(() -> worker.units().get(healthy)
                    == dev.streamfleet.coordinator.UnitState.READING && processed.size() >= 50);

            assertThat(processed).doesNotContain("id-13");
            Position stored = table.store(application).read(failed).flatMap(dev.streamfleet.checkpoint.Checkpoint::position)
                    .orElse(Position.TRIM_HORIZON);
            long afterPoison = processed.stream().filter(d -> Integer.parseInt(d.substring(3)) > 13
                    && Integer.parseInt(d.substring(3)) % 10 == 3).count();
            assertThat(afterPoison).as("records of key-3 after the poison record, processed").isZero();
            String poison = sequenceOf(stream, failed.shard(), "id-13");
            if (stored instanceof Position.Sequence sequence) {
                assertThat(sequence.sequenceNumber()).as("checkpoint of the failed unit")
                        .isLessThan(new java.math.BigInteger(poison));
            } else {
                assertThat(stored).isEqualTo(Position.TRIM_HORIZON);
            }
        }
    }

    /**
     * Records finished beyond the watermark, as a checkpoint stores them in DynamoDB, skipped by
     * the next owner: the set names the first record after the watermark as this reader yields it
     * (here inside a KPL aggregate), so the next owner's first record must be that one, and it is.
     */
    @Test
    void aNewOwnerSkipsExactlyTheRecordsFinishedBeyondTheWatermarkAsTheReaderNamesThem() {
        String stream = TestStreams.create(kinesis, "beyond", 1);
        List<KplAggregation.UserRecord> users = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            users.add(new KplAggregation.UserRecord("user-" + i, ("a" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        kinesis.putRecord(r -> r.streamName(stream).partitionKey("aggregate")
                .data(software.amazon.awssdk.core.SdkBytes.fromByteArray(KplAggregates.aggregate(users))));
        TestStreams.put(kinesis, stream, 0, 30, 5);
        UnitId unit = UnitId.kinesis(stream, kinesis.listShards(r -> r.streamName(stream)).shards().get(0).shardId());
        RecordSourceFactory sources = sources(kinesis, stream, 7);

        List<dev.streamfleet.worker.StreamRecord> all = readAll(sources, unit, Optional.empty(), 40);
        dev.streamfleet.worker.internal.parallel.ProgressTracker first =
                new dev.streamfleet.worker.internal.parallel.ProgressTracker(SourceKind.KINESIS, Optional.empty(),
                        dev.streamfleet.core.FinishedBeyond.NONE);
        List<Long> ordinals = all.stream().map(record -> first.dispatch(record.position())).toList();
        Set<Integer> finished = new HashSet<>(List.of(0, 1, 2));
        for (int i = 4; i < 40; i += 3) {
            finished.add(i);
        }
        finished.forEach(i -> first.finish(ordinals.get(i)));
        assertThat(first.watermark()).as("inside the aggregate").contains(all.get(2).position());
        assertThat(first.finishedBeyond().first()).contains(all.get(3).position());

        CheckpointStore store = table.store(application());
        dev.streamfleet.core.Epoch epoch = new dev.streamfleet.core.Epoch("it", 1);
        store.claim(unit, epoch, "first-owner");
        store.checkpoint(unit, first.watermark().orElseThrow(), first.finishedBeyond(), epoch);
        dev.streamfleet.checkpoint.Checkpoint row = store.read(unit).orElseThrow();
        assertThat(row.finished().count()).isEqualTo(finished.size() - 3);

        dev.streamfleet.worker.internal.parallel.ProgressTracker next =
                new dev.streamfleet.worker.internal.parallel.ProgressTracker(SourceKind.KINESIS, row.position(),
                        row.finished());
        List<Position> processedAgain = new ArrayList<>();
        for (dev.streamfleet.worker.StreamRecord record : readAll(sources, unit, row.position(), 37)) {
            if (next.dispatch(record.position()) >= 0) {
                processedAgain.add(record.position());
            }
        }
        List<Position> unfinished = new ArrayList<>();
        for (int i = 3; i < 40; i++) {
            if (!finished.contains(i)) {
                unfinished.add(all.get(i).position());
            }
        }
        assertThat(next.ignoredResumedSet()).isEmpty();
        assertThat(processedAgain).as("the records not finished, and no other").isEqualTo(unfinished).hasSize(25);
    }

    private static List<dev.streamfleet.worker.StreamRecord> readAll(RecordSourceFactory sources, UnitId unit,
                                                                    Optional<Position> after, int count) {
        List<dev.streamfleet.worker.StreamRecord> records = new ArrayList<>();
        try (dev.streamfleet.worker.RecordSource source = sources.open(unit, after)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                records.addAll(source.fetch().records());
                return records.size() >= count;
            });
        }
        assertThat(records).hasSize(count);
        return records;
    }

    @Test
    void aggregatedRecordsAreDeaggregatedAndResumeInsideAnAggregate() {
        String stream = TestStreams.create(kinesis, "kpl", 1);
        List<KplAggregation.UserRecord> first = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            first.add(new KplAggregation.UserRecord("user-" + i, ("a" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        List<KplAggregation.UserRecord> second = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            second.add(new KplAggregation.UserRecord("user-" + i, ("b" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        String firstSequence = kinesis.putRecord(r -> r.streamName(stream).partitionKey("aggregate")
                .data(software.amazon.awssdk.core.SdkBytes.fromByteArray(KplAggregates.aggregate(first)))).sequenceNumber();
        kinesis.putRecord(r -> r.streamName(stream).partitionKey("aggregate")
                .data(software.amazon.awssdk.core.SdkBytes.fromByteArray(KplAggregates.aggregate(second))));

        CollectingProcessor everything = new CollectingProcessor();
        try (StreamWorker worker = startWorker(application(), stream, "w1", kinesis, everything)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> everything.data().size() >= 8);
        }
        assertThat(everything.data()).containsExactly("a0", "a1", "a2", "a3", "a4", "b0", "b1", "b2");
        assertThat(everything.seen().get(3).position())
                .isEqualTo(new Position.Sequence(new java.math.BigInteger(firstSequence), 3));
        assertThat(everything.seen().get(3).partitionKey()).isEqualTo("user-3");

        String resumed = application();
        UnitId shard = everything.seen().get(0).unit();
        table.store(resumed).reset(shard, new Position.Sequence(new java.math.BigInteger(firstSequence), 2));
        CollectingProcessor rest = new CollectingProcessor();
        try (StreamWorker worker = startWorker(resumed, stream, "w2", kinesis, rest)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> rest.data().size() >= 5);
        }
        assertThat(rest.data()).as("resumed after user record 2 of the first aggregate")
                .containsExactly("a3", "a4", "b0", "b1", "b2");
    }

    @Test
    void aggregatedUserRecordsOfTheOtherShardAreDroppedAndCountedSoTheKplsRetryIsNotADuplicate() {
        String stream = TestStreams.create(kinesis, "kpl-range", 2);
        java.math.BigInteger half = java.math.BigInteger.TWO.pow(127);
        List<KplAggregation.UserRecord> users = List.of(
                new KplAggregation.UserRecord("k", Optional.of("7"), "mine-1".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                new KplAggregation.UserRecord("k", Optional.of(half.toString()),
                        "the-other-shards".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                new KplAggregation.UserRecord("k", Optional.of("9"), "mine-2".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        // Routed by its explicit hash key to the first shard (the lower half of the hash-key space).
        kinesis.putRecord(r -> r.streamName(stream).partitionKey("aggregate").explicitHashKey("1")
                .data(software.amazon.awssdk.core.SdkBytes.fromByteArray(KplAggregates.aggregate(users))));
        kinesis.putRecord(r -> r.streamName(stream).partitionKey("after").explicitHashKey("2")
                .data(software.amazon.awssdk.core.SdkBytes.fromUtf8String("after")));

        CollectingProcessor everything = new CollectingProcessor();
        try (StreamWorker worker = startWorker(application(), stream, "w1", kinesis, everything)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> everything.data().contains("after"));
            await().atMost(Duration.ofSeconds(10)).until(() -> worker.unitMetrics().values().stream()
                    .mapToLong(m -> m.droppedOutsideRange()).sum() == 1);
        }
        assertThat(everything.data()).containsExactly("mine-1", "mine-2", "after");
        assertThat(everything.records().get(1).explicitHashKey()).contains("9");
    }
}
