package dev.streamfleet.bench;

import dev.streamfleet.checkpoint.internal.memory.InMemoryCheckpointTable;
import dev.streamfleet.coordinator.CoordinatorConfig;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.SourceKind;
import dev.streamfleet.deploy.localstack.LocalStack;
import dev.streamfleet.deploy.localstack.LocalStackConfig;
import dev.streamfleet.it.worker.TestStreams;
import dev.streamfleet.worker.AsyncRecordProcessor;
import dev.streamfleet.worker.ConcurrentRecordProcessor;
import dev.streamfleet.worker.Parallelism;
import dev.streamfleet.worker.RecordBatch;
import dev.streamfleet.worker.RecordProcessorFactory;
import dev.streamfleet.worker.SourceBinding;
import dev.streamfleet.worker.internal.runtime.StreamWorker;
import dev.streamfleet.worker.internal.runtime.WorkerSettings;
import dev.streamfleet.worker.internal.kafka.KafkaConsumerThread;
import dev.streamfleet.worker.internal.kafka.KafkaDiscovery;
import dev.streamfleet.worker.internal.kafka.KafkaSourceConfig;
import dev.streamfleet.worker.Ordering;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * Processing one Kafka partition with more than one batch at a time: the shape of Confluent's
 * parallel-consumer table (10,000 records, 0–5 ms of work each, 1 to 10,000 keys), the scaling
 * curve of a processor that waits 20 ms per record, and what dispatching costs a no-op processor.
 */
public final class ParallelBenchmark {

    private static final int SHAPE_RECORDS = 10_000;
    private static final int SHAPE_PARALLELISM = 16;
    private static final double SHAPE_THEORY = SHAPE_PARALLELISM / 0.0025;
    private static final Duration IO = Duration.ofMillis(20);
    private static final int OVERHEAD_RECORDS = 100_000;

    private static final BenchmarkSection SECTION = new BenchmarkSection(
            "Parallelism inside one unit — `it-tests/benchmarks.sh parallel`", """
            One `StreamWorker` in the benchmark JVM with the embedded ZooKeeper, the Kafka broker (KRaft,
            child JVM) and `kinesalite`; every run reads a fresh topic of one partition (or a stream of
            one shard) whose records were all produced before the worker started, with checkpoints in
            the in-memory store. Throughput is
            counted from the start of the first batch to the end of the last, so joining the fleet is
            left out.
            "Theory" is parallelism divided by the mean work per record. One run of each.

            The kill -9 rows run worker processes of the archive (`streamfleet worker`, checkpoints in
            `dynalite` at the default interval of at most every 5 s) on a backlog of one Kafka
            partition, with a processor that waits 20 ms per record: the first worker is killed, a
            second one takes the partition over from the last checkpoint and drains it. "Processed
            again" counts the first worker's records that the second delivered too (a lost record fails the
            run); "watermark-only" is what a checkpoint without its list of records
            finished beyond the watermark would have re-delivered.
            """, "figure", "measured", "of theory", "target");

    private ParallelBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(System.getProperty("streamfleet.localstack.workdir", "target/local-stack"))
                .resolve("parallel-benchmark-" + System.currentTimeMillis());
        ScheduledExecutorService io = Executors.newScheduledThreadPool(2);
        // kinesalite needs JSON instead of CBOR.
        System.setProperty("aws.cborEnabled", "false");
        try (LocalStack stack = LocalStack.start(LocalStackConfig.none(dir).withZooKeeper(1).withKafka().withKinesalite().withDynamoDb())) {
            double serial = shape(stack, Parallelism.NONE, 1);
            SECTION.row("10,000 records, 0–5 ms each, ordering `unit`, parallelism 1 (parallel-consumer: ~450/s)",
                    "%,.0f records/s".formatted(serial), percent(serial / 400), "—");
            for (int keys : new int[] {1, 10, 100, 1_000, 10_000}) {
                double rate = shape(stack, new Parallelism(SHAPE_PARALLELISM, Ordering.KEY, 1_000), keys);
                boolean met = keys < 100 || rate >= 0.9 * SHAPE_THEORY;
                SECTION.row("10,000 records, 0–5 ms each, ordering `key`, parallelism 16, %,d keys%s".formatted(keys,
                                keys == 100 ? " (parallel-consumer: ~4,600–4,860/s)" : ""),
                        "%,.0f records/s (%.1f× serial)".formatted(rate, rate / serial), percent(rate / SHAPE_THEORY),
                        keys < 100 ? "—" : "≥ 90 % " + (met ? "met" : "**not met**"));
            }
            for (boolean async : new boolean[] {false, true}) {
                for (int parallelism : new int[] {1, 4, 16, 64, 256}) {
                    double rate = scaling(stack, parallelism, async, io);
                    double theory = parallelism / (IO.toMillis() / 1000.0);
                    boolean met = parallelism > 64 || rate >= 0.8 * theory;
                    SECTION.row("20 ms of waiting per record, 1,000 keys, %s processor, parallelism %d".formatted(
                                    async ? "asynchronous" : "blocking", parallelism),
                            "%,.0f records/s".formatted(rate), percent(rate / theory),
                            parallelism > 64 ? "—" : "≥ 80 % " + (met ? "met" : "**not met**"));
                }
            }
            for (int parallelism : new int[] {1, 16, 64}) {
                double rate = kinesisScaling(stack, parallelism);
                double theory = parallelism / (IO.toMillis() / 1000.0);
                boolean met = rate >= 0.8 * theory;
                SECTION.row("20 ms of waiting per record, 1,000 keys, blocking processor, parallelism %d, one kinesalite shard"
                                .formatted(parallelism),
                        "%,.0f records/s".formatted(rate), percent(rate / theory), "≥ 80 % " + (met ? "met" : "**not met**"));
            }
            // The JIT compiles for seconds after a path is first used: both paths run once unmeasured,
            // then three times each, alternating, and the medians are compared.
            Parallelism sixteenKeyLanes = new Parallelism(SHAPE_PARALLELISM, Ordering.KEY, 1_000);
            overhead(stack, Parallelism.NONE);
            overhead(stack, sixteenKeyLanes);
            List<Double> ones = new java.util.ArrayList<>();
            List<Double> sixteens = new java.util.ArrayList<>();
            for (int round = 0; round < 3; round++) {
                ones.add(overhead(stack, Parallelism.NONE));
                sixteens.add(overhead(stack, sixteenKeyLanes));
            }
            double one = median(ones);
            double sixteen = median(sixteens);
            SECTION.row("no-op processor, 100,000 records, 1,000 keys: whole JVM CPU per 100k, parallelism 16 against 1"
                            + " (medians of 3 after a warm-up)",
                    "%.2f against %.2f CPU-s (runs: %s against %s)".formatted(sixteen, one, runs(sixteens), runs(ones)),
                    "%.2f×".formatted(sixteen / one), "≤ 1.3× " + (sixteen / one <= 1.3 ? "met" : "**not met**"));
            crashes(new CrashRedelivery(stack, dir));
        } finally {
            io.shutdownNow();
        }
        SECTION.note("""
                What a kill -9 re-delivers is what finished after the unit's last checkpoint, plus what was
                in flight: seconds of work at either parallelism, so at parallelism 64 many more records.
                At parallelism 1 a batch (up to 500 Kafka records, 10 s of work here) counts as finished
                only once it returns, so a kill inside a batch re-delivers every record of it processed so
                far. The list of records finished beyond the watermark saves only what had finished out
                of order when the checkpoint was written (at most `maxInFlight` records); a shorter
                `checkpoints.interval` shortens the rest, at the price of more DynamoDB writes.
                """);
        SECTION.note("""
                Blocking processors get up to `parallelism` threads, each taking a run of ready lanes in
                turn; asynchronous ones complete on the benchmark's own two-thread timer, so their figure
                shows the dispatch alone. With fewer
                keys than the parallelism, the keys bound it: ordering by key never runs two batches of one
                key at once.
                """);
        SECTION.publish();
        System.exit(0);
    }

    /** kill -9 of a worker process at parallelism 1 and 64, three times each, and what it costs in records. */
    private static void crashes(CrashRedelivery crashes) throws Exception {
        int[] totals = new int[2];
        double[] seconds = new double[2];
        int[] parallelisms = {1, 64};
        for (int i = 0; i < parallelisms.length; i++) {
            int parallelism = parallelisms[i];
            // Checkpoints come at most every 5 s: three kills at different points of that cycle.
            for (double kill : new double[] {6, 12.5, 19}) {
                CrashRedelivery.Outcome outcome = crashes.run(parallelism, parallelism == 1 ? 1_500 : 90_000,
                        Duration.ofMillis((long) (kill * 1000)));
                totals[i] += outcome.again();
                seconds[i] += outcome.secondsOfWork();
                SECTION.row("kill -9 %.1f s after the first record, parallelism %d, %d ms of waiting per record".formatted(kill,
                                parallelism, CrashRedelivery.WORK_PER_RECORD_MS),
                        "%,d of %,d processed again (%.1f s of work at %,.0f records/s); %,d finished beyond the watermark not again"
                                .formatted(outcome.again(), outcome.before(), outcome.secondsOfWork(), outcome.perSecond(),
                                        outcome.skipped()),
                        outcome.again() + outcome.skipped() == 0 ? "—"
                                : percent((double) outcome.again() / (outcome.again() + outcome.skipped())) + " of watermark-only",
                        "—");
            }
        }
        SECTION.row("processed again after the three kills, parallelism 64 against 1",
                "%,d against %,d records; %.1f against %.1f s of work".formatted(totals[1], totals[0], seconds[1], seconds[0]),
                "%.0f× the records, %.2f× the work".formatted((double) totals[1] / Math.max(totals[0], 1),
                        seconds[1] / Math.max(seconds[0], 1e-3)), "—");
    }

    /** Records/s over {@link #SHAPE_RECORDS} records of 0–5 ms of work each. */
    private static double shape(LocalStack stack, Parallelism parallelism, int keys) throws Exception {
        return run(stack, parallelism, keys, SHAPE_RECORDS, processed -> unit -> (ConcurrentRecordProcessor) (batch, cp) -> {
            processed.begin();
            for (int i = 0; i < batch.records().size(); i++) {
                LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(5_000_000));
            }
            processed.record(batch.records().size());
        });
    }

    /** Records/s with {@link #IO} of waiting per record, blocking or asynchronous. */
    private static double scaling(LocalStack stack, int parallelism, boolean async, ScheduledExecutorService io)
            throws Exception {
        int records = Math.max(400, 100 * parallelism);
        Parallelism settings = parallelism == 1 ? Parallelism.NONE : new Parallelism(parallelism, Ordering.KEY,
                Math.max(1_000, 4 * parallelism));
        return run(stack, settings, 1_000, records, processed -> unit -> async
                ? new AsyncRecordProcessor() {
                    @Override
                    public CompletionStage<Void> processAsync(RecordBatch batch) {
                        processed.begin();
                        CompletableFuture<Void> done = new CompletableFuture<>();
                        io.schedule(() -> {
                            processed.record(batch.records().size());
                            done.complete(null);
                        }, IO.toNanos() * batch.records().size(), TimeUnit.NANOSECONDS);
                        return done;
                    }
                }
                : (ConcurrentRecordProcessor) (batch, cp) -> {
                    processed.begin();
                    Thread.sleep(IO.toMillis() * batch.records().size());
                    processed.record(batch.records().size());
                });
    }

    /** Records/s on one kinesalite shard with {@link #IO} of waiting per record. */
    private static double kinesisScaling(LocalStack stack, int parallelism) throws Exception {
        int records = Math.max(400, 100 * parallelism);
        Parallelism settings = parallelism == 1 ? Parallelism.NONE : new Parallelism(parallelism, Ordering.KEY,
                Math.max(1_000, 4 * parallelism));
        Progress progress = new Progress();
        try (KinesisClient client = TestStreams.client(stack.kinesalite().endpoint())) {
            String stream = TestStreams.create(client, "parallel", 1);
            TestStreams.put(client, stream, 0, records, 1_000);
            String application = "parallel-" + UUID.randomUUID().toString().substring(0, 8);
            try (StreamWorker worker = StreamWorker.start(CoordinatorConfig.of(application, stack.zookeeper().endpoint()),
                    new WorkerInfo(WorkerId.of("bench"), "localhost", "", Instant.now(), "bench", 1),
                    new InMemoryCheckpointTable().store(application),
                    List.of(WorkerBenchmark.kinesis(client, stream, Position.TRIM_HORIZON)),
                    unit -> (ConcurrentRecordProcessor) (batch, cp) -> {
                        progress.begin();
                        Thread.sleep(IO.toMillis() * batch.records().size());
                        progress.record(batch.records().size());
                    }, WorkerSettings.defaults().withParallelism(settings))) {
                WorkerBenchmark.await(() -> progress.count.get() >= records, Duration.ofMinutes(3),
                        () -> progress.count.get() + " of " + records + " processed, units " + worker.units());
            }
        }
        return records / Math.max((progress.lastNanos.get() - progress.firstNanos.get()) / 1e9, 1e-3);
    }

    /**
     * Whole-JVM CPU seconds per 100k records of a no-op processor, from joining the fleet to the
     * last record (the records are produced before the measurement starts).
     */
    private static double overhead(LocalStack stack, Parallelism parallelism) throws Exception {
        String topic = WorkerBenchmark.topic(stack, 1);
        produce(stack, topic, 1_000, OVERHEAD_RECORDS);
        WorkerBenchmark.Cpu cpu = WorkerBenchmark.Cpu.start();
        drain(stack, topic, parallelism, OVERHEAD_RECORDS, processed -> unit -> (ConcurrentRecordProcessor) (batch, cp) ->
                processed.record(batch.records().size()));
        return cpu.used().processSeconds() * 100_000 / OVERHEAD_RECORDS;
    }

    /** Counts processed records and remembers when the first and the last were processed. */
    private static final class Progress {
        final AtomicLong count = new AtomicLong();
        final AtomicLong firstNanos = new AtomicLong();
        final AtomicLong lastNanos = new AtomicLong();

        /** A batch starts: the clock runs from the first one. */
        void begin() {
            firstNanos.compareAndSet(0, System.nanoTime());
        }

        void record(int records) {
            long now = System.nanoTime();
            count.addAndGet(records);
            lastNanos.accumulateAndGet(now, Math::max);
        }
    }

    private static double run(LocalStack stack, Parallelism parallelism, int keys, int records,
                              java.util.function.Function<Progress, RecordProcessorFactory> processors) throws Exception {
        String topic = WorkerBenchmark.topic(stack, 1);
        produce(stack, topic, keys, records);
        return drain(stack, topic, parallelism, records, processors);
    }

    /** Runs a worker on a topic of one partition until it has processed {@code records}; returns records/s. */
    private static double drain(LocalStack stack, String topic, Parallelism parallelism, int records,
                                java.util.function.Function<Progress, RecordProcessorFactory> processors) throws Exception {
        Progress progress = new Progress();
        String application = "parallel-" + UUID.randomUUID().toString().substring(0, 8);
        try (KafkaConsumerThread consumer = new KafkaConsumerThread(stack.kafka().endpoint(), Map.of(), "bench");
             KafkaDiscovery discovery = new KafkaDiscovery(KafkaSourceConfig.of(topic, stack.kafka().endpoint(),
                     Position.TRIM_HORIZON));
             StreamWorker worker = StreamWorker.start(CoordinatorConfig.of(application, stack.zookeeper().endpoint()),
                     new WorkerInfo(WorkerId.of("bench"), "localhost", "", Instant.now(), "bench", 1),
                     new InMemoryCheckpointTable().store(application),
                     List.of(new SourceBinding(SourceKind.KAFKA, topic, discovery, consumer.topic(Position.TRIM_HORIZON))),
                     processors.apply(progress), WorkerSettings.defaults().withParallelism(parallelism))) {
            WorkerBenchmark.await(() -> progress.count.get() >= records, Duration.ofMinutes(3),
                    () -> progress.count.get() + " of " + records + " processed, units " + worker.units());
        }
        double seconds = (progress.lastNanos.get() - progress.firstNanos.get()) / 1e9;
        return records / Math.max(seconds, 1e-3);
    }

    static void produce(LocalStack stack, String topic, int keys, int records) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().endpoint());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            byte[] value = new byte[100];
            for (int i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>(topic, ("k" + (i % keys)).getBytes(), value));
            }
            producer.flush();
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    private static String runs(List<Double> values) {
        return String.join(", ", values.stream().map(v -> "%.2f".formatted(v)).toList());
    }

    private static String percent(double fraction) {
        return "%.0f %%".formatted(fraction * 100);
    }
}
