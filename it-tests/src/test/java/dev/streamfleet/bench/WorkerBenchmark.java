package dev.streamfleet.bench;

import dev.streamfleet.checkpoint.internal.memory.InMemoryCheckpointTable;
import dev.streamfleet.coordinator.CoordinatorConfig;
import dev.streamfleet.coordinator.UnitState;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.SourceKind;
import dev.streamfleet.deploy.localstack.LocalStack;
import dev.streamfleet.deploy.localstack.LocalStackConfig;
import dev.streamfleet.it.worker.TestStreams;
import dev.streamfleet.worker.RecordProcessorFactory;
import dev.streamfleet.worker.SourceBinding;
import dev.streamfleet.worker.StreamRecord;
import dev.streamfleet.worker.internal.runtime.StreamWorker;
import dev.streamfleet.worker.internal.runtime.WorkerSettings;
import dev.streamfleet.worker.internal.kafka.KafkaConsumerThread;
import dev.streamfleet.worker.internal.kafka.KafkaDiscovery;
import dev.streamfleet.worker.internal.kafka.KafkaSourceConfig;
import dev.streamfleet.worker.internal.kinesis.KinesisDiscovery;
import dev.streamfleet.worker.internal.kinesis.KinesisSourceConfig;
import dev.streamfleet.worker.internal.kinesis.KinesisSources;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;

/**
 * One worker's throughput, CPU, memory and latency, with a no-op (or timing) processor and an
 * in-memory checkpoint store, so that the figures are the worker's own. Run through
 * {@code it-tests/benchmarks.sh worker}.
 */
public final class WorkerBenchmark {

    private static final int KAFKA_RECORDS = 200_000;
    private static final int KINESIS_RECORDS = 100_000;
    private static final int SHARDS = 8;
    private static final int IDLE_UNITS = 1_000;
    private static final int LATENCY_RATE = 500;
    private static final Duration LATENCY_RUN = Duration.ofSeconds(40);
    private static final Duration LATENCY_WARMUP = Duration.ofSeconds(5);

    private static final BenchmarkSection SECTION = new BenchmarkSection(
            "One worker's throughput, CPU, latency and idle cost — `it-tests/benchmarks.sh worker`", """
            One `StreamWorker` in the benchmark JVM with the embedded ZooKeeper; the Kafka broker
            (KRaft, child JVM) and `kinesalite` (Node) run as their own processes. Processors are no-ops
            (or record a timestamp), checkpoints go to the in-memory store, default settings (checkpoint
            every 5 s, 8 unit threads, Kinesis `Limit` 1,000, idle wait 250 ms). "Worker threads" is the
            CPU time of the threads named `streamfleet-*` (unit loops, the Kafka consumer, the
            coordinator); "whole JVM" adds the embedded ZooKeeper server, JIT compilation and garbage
            collection. Each drain runs twice on a fresh stream or topic: "cold" includes JIT warm-up,
            "warm" is the steady state. One run each.
            """, "figure", "measured");

    private WorkerBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        // kinesalite needs JSON instead of CBOR.
        System.setProperty("aws.cborEnabled", "false");
        Path dir = Path.of(System.getProperty("streamfleet.localstack.workdir", "target/local-stack"))
                .resolve("worker-benchmark-" + System.currentTimeMillis());
        try (LocalStack stack = LocalStack.start(LocalStackConfig.none(dir).withZooKeeper(1).withKafka().withKinesalite())) {
            // Each drain runs twice: the first includes JIT warm-up, the second is the steady state.
            kafkaThroughput(stack, "cold");
            kafkaThroughput(stack, "warm");
            kinesisThroughput(stack, "cold");
            kinesisThroughput(stack, "warm");
            kinesisLatency(stack);
            idleUnits(stack);
        }
        SECTION.note("""
                On kinesalite the clients must use JSON instead of CBOR, so base64 payloads inside JSON add
                to the SDK's share of the CPU; on real Kinesis the SDK uses CBOR. The latency is bounded by
                the 5-calls-per-second GetRecords pacing (200 ms between calls per shard), as expected for a
                poller.
                """);
        SECTION.publish();
        System.exit(0);
    }

    private static void kafkaThroughput(LocalStack stack, String run) throws Exception {
        String topic = topic(stack, SHARDS);
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().endpoint());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        // Throughput, not order: without idempotence a NOT_LEADER_OR_FOLLOWER right after topic creation is
        // retried plainly instead of ending in OUT_OF_ORDER_SEQUENCE_NUMBER for the rest of the batch.
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
        props.put(ProducerConfig.ACKS_CONFIG, "1");
        AtomicLong failedSends = new AtomicLong();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            byte[] value = new byte[100];
            for (int i = 0; i < KAFKA_RECORDS; i++) {
                producer.send(new ProducerRecord<>(topic, Integer.toString(i).getBytes(), value), (metadata, error) -> {
                    if (error != null) {
                        failedSends.incrementAndGet();
                    }
                });
            }
            producer.flush();
        }
        if (failedSends.get() > 0) {
            throw new IllegalStateException(failedSends.get() + " records could not be produced");
        }
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().endpoint()))) {
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new java.util.HashMap<>();
            for (int p = 0; p < SHARDS; p++) {
                latest.put(new org.apache.kafka.common.TopicPartition(topic, p), org.apache.kafka.clients.admin.OffsetSpec.latest());
            }
            long stored = admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).values().stream()
                    .mapToLong(org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo::offset).sum();
            if (stored != KAFKA_RECORDS) {
                throw new IllegalStateException("the producer stored " + stored + " of " + KAFKA_RECORDS + " records");
            }
        }
        AtomicLong processed = new AtomicLong();
        RecordProcessorFactory noOp = unit -> (batch, checkpointer) -> processed.addAndGet(batch.records().size());
        try (KafkaConsumerThread consumer = new KafkaConsumerThread(stack.kafka().endpoint(), Map.of(), "bench");
             KafkaDiscovery discovery = new KafkaDiscovery(KafkaSourceConfig.of(topic, stack.kafka().endpoint(), Position.TRIM_HORIZON))) {
            SourceBinding binding = new SourceBinding(SourceKind.KAFKA, topic, discovery, consumer.topic(Position.TRIM_HORIZON));
            Cpu cpu = Cpu.start();
            long started = System.nanoTime();
            try (StreamWorker worker = worker(stack, binding, noOp)) {
                await(() -> processed.get() >= KAFKA_RECORDS, Duration.ofMinutes(3), () -> processed.get() + " processed, units "
                        + worker.units());
                double seconds = (System.nanoTime() - started) / 1e9;
                Cpu.Used used = cpu.used();
                SECTION.row("Kafka throughput of one worker (%s), %,d records of 100 B, %d partitions, backlog drained"
                                .formatted(run, KAFKA_RECORDS, SHARDS),
                        "%,.0f records/s; worker threads %.2f CPU-s per 100k, whole JVM %.2f".formatted(KAFKA_RECORDS / seconds,
                                used.workerSeconds() * 100_000 / KAFKA_RECORDS, used.processSeconds() * 100_000 / KAFKA_RECORDS));
            }
        }
    }

    private static void kinesisThroughput(LocalStack stack, String run) throws Exception {
        try (KinesisClient client = TestStreams.client(stack.kinesalite().endpoint())) {
            String stream = TestStreams.create(client, "bench", SHARDS);
            putBulk(client, stream, KINESIS_RECORDS);
            AtomicLong processed = new AtomicLong();
            RecordProcessorFactory noOp = unit -> (batch, checkpointer) -> processed.addAndGet(batch.records().size());
            Cpu cpu = Cpu.start();
            long started = System.nanoTime();
            try (StreamWorker worker = worker(stack, kinesis(client, stream, Position.TRIM_HORIZON), noOp)) {
                await(() -> processed.get() >= KINESIS_RECORDS, Duration.ofMinutes(5));
                double seconds = (System.nanoTime() - started) / 1e9;
                Cpu.Used used = cpu.used();
                SECTION.row("kinesalite (%s), %,d records of 100 B, %d shards, backlog drained".formatted(run, KINESIS_RECORDS, SHARDS),
                        "%,.0f records/s; worker threads %.2f CPU-s per 100k, whole JVM %.2f".formatted(KINESIS_RECORDS / seconds,
                                used.workerSeconds() * 100_000 / KINESIS_RECORDS, used.processSeconds() * 100_000 / KINESIS_RECORDS));
            }
        }
    }

    private static void kinesisLatency(LocalStack stack) throws Exception {
        try (KinesisClient client = TestStreams.client(stack.kinesalite().endpoint())) {
            String stream = TestStreams.create(client, "latency", SHARDS);
            List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
            long measureFrom = System.currentTimeMillis() + LATENCY_WARMUP.toMillis();
            RecordProcessorFactory timing = unit -> (batch, checkpointer) -> {
                long now = System.currentTimeMillis();
                for (StreamRecord record : batch.records()) {
                    long produced = ByteBuffer.wrap(record.data()).getLong();
                    if (produced >= measureFrom) {
                        latencies.add(now - produced);
                    }
                }
            };
            try (StreamWorker worker = worker(stack, kinesis(client, stream, Position.LATEST), timing)) {
                await(() -> worker.units().values().stream().filter(s -> s == UnitState.READING).count() == SHARDS,
                        Duration.ofSeconds(30));
                long end = System.nanoTime() + LATENCY_RUN.toNanos();
                long interval = 1_000_000_000L / LATENCY_RATE * 10;
                long next = System.nanoTime();
                int sequence = 0;
                while (System.nanoTime() < end) {
                    List<PutRecordsRequestEntry> entries = new ArrayList<>();
                    for (int i = 0; i < 10; i++) {
                        ByteBuffer data = ByteBuffer.allocate(100).putLong(System.currentTimeMillis());
                        entries.add(PutRecordsRequestEntry.builder().partitionKey("k" + (sequence++))
                                .data(SdkBytes.fromByteArray(data.array())).build());
                    }
                    client.putRecords(r -> r.streamName(stream).records(entries));
                    next += interval;
                    long sleep = next - System.nanoTime();
                    if (sleep > 0) {
                        TimeUnit.NANOSECONDS.sleep(sleep);
                    }
                }
                Thread.sleep(2_000);
            }
            long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
            SECTION.row("end-to-end latency at %d records/s on %d kinesalite shards, in-JVM (%,d records after %d s warm-up)"
                            .formatted(LATENCY_RATE, SHARDS, sorted.length, LATENCY_WARMUP.toSeconds()),
                    "p50 %d ms, p99 %d ms, max %d ms".formatted(percentile(sorted, 50), percentile(sorted, 99),
                            sorted[sorted.length - 1]));
        }
    }

    private static void idleUnits(LocalStack stack) throws Exception {
        String topic = topic(stack, IDLE_UNITS);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        long heapBefore = memory.getHeapMemoryUsage().getUsed();
        int threadsBefore = threads.getThreadCount();
        try (KafkaConsumerThread consumer = new KafkaConsumerThread(stack.kafka().endpoint(), Map.of(), "idle");
             KafkaDiscovery discovery = new KafkaDiscovery(KafkaSourceConfig.of(topic, stack.kafka().endpoint(), Position.LATEST));
             StreamWorker worker = worker(stack, new SourceBinding(SourceKind.KAFKA, topic, discovery,
                     consumer.topic(Position.LATEST)), unit -> (batch, checkpointer) -> { })) {
            await(() -> worker.units().values().stream().filter(s -> s == UnitState.READING).count() == IDLE_UNITS,
                    Duration.ofMinutes(3));
            Thread.sleep(5_000);
            Cpu cpu = Cpu.start();
            Thread.sleep(10_000);
            Cpu.Used used = cpu.used();
            System.gc();
            long heapAfter = memory.getHeapMemoryUsage().getUsed();
            SECTION.row("%,d idle Kafka partitions held by one worker".formatted(IDLE_UNITS),
                    "heap +%.0f MB after GC, threads +%d, worker threads %.1f CPU-s per idle minute".formatted(
                            (heapAfter - heapBefore) / 1e6, threads.getThreadCount() - threadsBefore, used.workerSeconds() * 6));
        }
    }

    static String topic(LocalStack stack, int partitions) throws Exception {
        String topic = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().endpoint()))) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(60, TimeUnit.SECONDS);
            // A producer that starts before every partition has a leader loses records to NotLeaderOrFollower.
            await(() -> {
                try {
                    return admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic)
                            .partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty());
                } catch (Exception e) {
                    return false;
                }
            }, Duration.ofSeconds(60));
        }
        return topic;
    }

    private static void putBulk(KinesisClient client, String stream, int count) {
        byte[] data = new byte[100];
        for (int start = 0; start < count; start += 500) {
            List<PutRecordsRequestEntry> entries = new ArrayList<>();
            for (int i = start; i < Math.min(count, start + 500); i++) {
                entries.add(PutRecordsRequestEntry.builder().partitionKey("k" + i).data(SdkBytes.fromByteArray(data)).build());
            }
            client.putRecords(r -> r.streamName(stream).records(entries));
        }
    }

    static SourceBinding kinesis(KinesisClient client, String stream, Position initial) {
        return new SourceBinding(SourceKind.KINESIS, stream, new KinesisDiscovery(client, stream),
                new KinesisSources(client, new KinesisSourceConfig(stream, initial, KinesisSourceConfig.DEFAULT_LIMIT,
                        KinesisSourceConfig.DEFAULT_IDLE_WAIT)));
    }

    private static StreamWorker worker(LocalStack stack, SourceBinding binding, RecordProcessorFactory processors) {
        String application = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        return StreamWorker.start(CoordinatorConfig.of(application, stack.zookeeper().endpoint()),
                new WorkerInfo(WorkerId.of("bench"), "localhost", "", Instant.now(), "bench", 1),
                new InMemoryCheckpointTable().store(application), List.of(binding), processors, WorkerSettings.defaults());
    }

    private static long percentile(long[] sorted, int percent) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(percent / 100.0 * sorted.length) - 1)];
    }

    static void await(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        await(condition, timeout, () -> "");
    }

    static void await(BooleanSupplier condition, Duration timeout, java.util.function.Supplier<String> state)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not done within " + timeout + ": " + state.get());
            }
            Thread.sleep(10);
        }
    }

    /** CPU time of this JVM and of its streamfleet worker threads, from a starting point. */
    record Cpu(long processNanos, long workerNanos) {
        record Used(double processSeconds, double workerSeconds) {
        }

        static Cpu start() {
            return new Cpu(processCpu(), workerThreadsCpu());
        }

        Used used() {
            return new Used((processCpu() - processNanos) / 1e9, (workerThreadsCpu() - workerNanos) / 1e9);
        }

        private static long processCpu() {
            return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
        }

        /** Threads whose names start with "streamfleet-": unit loops, the Kafka consumer, the coordinator's own. */
        private static long workerThreadsCpu() {
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long total = 0;
            for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
                if (info != null && info.getThreadName().startsWith("streamfleet-")) {
                    long cpu = threads.getThreadCpuTime(info.getThreadId());
                    if (cpu > 0) {
                        total += cpu;
                    }
                }
            }
            return total;
        }
    }
}
