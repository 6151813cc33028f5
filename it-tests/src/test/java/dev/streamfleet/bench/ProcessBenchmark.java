package dev.streamfleet.bench;

import dev.streamfleet.coordinator.internal.zk.FleetReader;
import dev.streamfleet.deploy.localstack.LocalStack;
import dev.streamfleet.deploy.localstack.LocalStackConfig;
import dev.streamfleet.it.AwsCallRecorder;
import dev.streamfleet.it.cli.WorkerProcess;
import dev.streamfleet.it.worker.TestStreams;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;

/**
 * The figures of the comparison with KCL 3.5, measured the way KCL's were: worker processes
 * started from the command line with the default configuration (session timeout 10 s,
 * checkpoint every 5 s), checkpoints in dynalite, 8 shards on kinesalite, ZooKeeper with its
 * default tick of 2 s. Every time is read from the workers' own {@code jsonl} output (the
 * processing time of the first record that proves the figure), every DynamoDB request from the
 * SDK's own record of the calls each worker made. Writes its section of BENCHMARKS.md to the
 * file named by {@code streamfleet.bench.out} and prints it.
 */
public final class ProcessBenchmark {

    private static final int SHARDS = 8;
    private static final int RATE = 500;
    private static final int CPU_RECORDS = 100_000;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The workers' JVM options; {@code -Dstreamfleet.bench.workerJvm="..."} adds some (a profiler, say). */
    private static final List<String> JVM = jvmOptions();

    private final LocalStack stack;
    private final KinesisClient kinesis;
    private final Path dir;
    private final BenchmarkSection out = new BenchmarkSection("streamfleet against KCL 3.5, measured side by side — `it-tests/benchmarks.sh process`", """
            Worker processes as users start them, in the same run on the same emulators: streamfleet
            (`streamfleet worker`, JVM option `-Xmx512m`, the default configuration: session timeout
            10 s, checkpoint at most every 5 s, `jsonl` processor) and KCL 3.5.1 (`kcl-bench`: a
            `Scheduler` from `ConfigsBuilder` with polling retrieval, `-Xmx512m`, a processor that
            writes the same JSON lines and checkpoints at most every 5 s), twice: with KCL's defaults,
            and with its pause between reads of a shard set to 250 ms, streamfleet's first pause after
            an empty read. A Kinesis stream of 8 shards on `kinesalite`, checkpoints and leases in
            `dynalite`, ZooKeeper standalone with its default tick of 2 s. Times come from the workers'
            own output: the processing time of the record that proves the figure, against the wall
            clock when the benchmark launched, signalled or killed the process. DynamoDB requests are
            the calls each worker made, recorded by the AWS SDK inside the worker. The load is 500
            records/s, 10 every 20 ms, over 64 partition keys; latency is processing time minus the
            producer's send time. The ratio is streamfleet's figure divided by KCL's (below 1: streamfleet
            is faster or cheaper). streamfleet's start is the median of 3 runs, first without a class
            archive, then with the one a worker built beforehand (as an installation's first worker does),
            with when the worker logged that it joined and that it published its assignment; KCL's start
            is one run each, shown in both rows. Every other figure is one run.
            """, "figure", "streamfleet", "KCL 3.5, defaults", "KCL 3.5, 250 ms between reads",
            "ratio (defaults / 250 ms)", "target", "");
    private final Map<String, Figure> figures = new java.util.LinkedHashMap<>();
    private ProcessBenchmark(LocalStack stack, Path dir) {
        this.stack = stack;
        this.dir = dir;
        this.kinesis = TestStreams.client(stack.kinesalite().endpoint());
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("aws.cborEnabled", "false");
        Path dir = Path.of(System.getProperty("streamfleet.localstack.workdir", "target/local-stack"))
                .resolve("process-benchmark-" + System.currentTimeMillis());
        LocalStackConfig servers = new LocalStackConfig(dir, 1, 2_000, false, true, false, true, false);
        try (LocalStack stack = LocalStack.start(servers)) {
            ProcessBenchmark benchmark = new ProcessBenchmark(stack, dir);
            benchmark.run();
            benchmark.out.note("""
                    A crash is detected by ZooKeeper when the session times out, on its tick boundaries: with
                    the default session timeout of 10 s and tick of 2 s a crashed worker's shards are read again
                    after 10–12 s plus the rebalance (about 0.4 s); `zookeeper.sessionTimeout` trades that
                    against tolerance of pauses (see deploy/README.md, "Sizing"). The records re-delivered after
                    a crash are those processed since the unit's last checkpoint: up to 5 s of records at the
                    default interval.
                    """);
            benchmark.out.note("""
                    KCL's fleet is taken through fewer changes: a second worker joins, then is killed. Its
                    graceful leave is not run, and KCL has no leader whose loss stops the reading, so those rows
                    are streamfleet's alone. KCL's CPU runs write no records, as streamfleet's no-op processor.
                    """);
            benchmark.out.publish();
        }
        System.exit(0);
    }

    /** The kinds of worker compared, each a fleet of its own on a stream of its own. */
    enum Kind {
        STREAMFLEET, KCL_DEFAULTS, KCL_PACED
    }

    /** A fleet of worker processes of one kind on one stream, seen from outside. */
    interface Contender extends AutoCloseable {
        String label();

        /** Starts a worker process; returns the wall-clock millis just before the launch. */
        long start(String name) throws IOException;

        WorkerProcess process(String name);

        /** The id the worker is known by in the holders and the output. */
        String idOf(String name) throws IOException;

        /** The worker that leads the fleet's assignment, where there is one. */
        java.util.Optional<String> leader();

        /** Where the workers write their records (JSON lines). */
        Path output();

        long dynamoDbCalls(String name, long from, long to) throws IOException;

        /** Which worker holds each unit. */
        Map<String, String> holders();

        /** Records the worker has processed so far. */
        long processed(String name);

        @Override
        void close() throws InterruptedException;
    }

    /** One streamfleet fleet: its configuration, its workers, its output. */
    private final class Fleet implements Contender {
        final String application = "bench-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        final String stream;
        final Path config;
        final Path output = Files.createDirectories(dir.resolve(application));
        final Map<String, WorkerProcess> processes = new HashMap<>();
        final Map<String, Path> calls = new HashMap<>();
        final FleetReader reader = FleetReader.connect(stack.zookeeper().endpoint(), Duration.ofSeconds(5));

        Fleet(String stream, String processor) throws IOException {
            this.stream = stream;
            this.config = output.resolve("fleet.yaml");
            Files.writeString(config, """
                    application: %s
                    zookeeper:
                      connect: %s
                    checkpoints:
                      table: bench-checkpoints
                      region: us-east-1
                      endpoint: %s
                    sources:
                      - kinesis:
                          stream: %s
                          region: us-east-1
                          endpoint: %s
                          initialPosition: TRIM_HORIZON
                    processor:
                      type: %s
                      options:
                        path: %s
                    """.formatted(application, stack.zookeeper().endpoint(), stack.dynamodb().endpoint(), stream,
                    stack.kinesalite().endpoint(), processor, output.resolve("records-{worker}.jsonl")));
        }

        @Override
        public String label() {
            return "streamfleet";
        }

        @Override
        public long start(String name) throws IOException {
            return start(name, Map.of());
        }

        @Override
        public WorkerProcess process(String name) {
            return processes.get(name);
        }

        @Override
        public java.util.Optional<String> leader() {
            return reader.read(application).leader().map(id -> id.value());
        }

        @Override
        public Path output() {
            return output;
        }

        @Override
        public long processed(String name) {
            var registered = reader.read(application).workers();
            return registered.isEmpty() ? 0 : recordsProcessed(registered.get(0).statusUrl());
        }

        @Override
        public void close() throws InterruptedException {
            stop(this);
        }

        long start(String name, Map<String, String> overrides) throws IOException {
            Path recorded = output.resolve(name + "-aws-calls.txt");
            calls.put(name, recorded);
            Map<String, String> env = new HashMap<>();
            env.put("STREAMFLEET_CDS_DIR", dir.resolve("class-archives").toString());
            env.putAll(overrides);
            env.put(AwsCallRecorder.VARIABLE, recorded.toString());
            env.put("STREAMFLEET_CLASSPATH", dev.streamfleet.it.Installation.testExtensions().toString());
            env.put("JAVA_TOOL_OPTIONS", "-Daws.cborEnabled=false");
            long launched = System.currentTimeMillis();
            processes.put(name, WorkerProcess.start(JVM, output.resolve(name + ".log"), env, "worker", "--config",
                    config.toString()));
            return launched;
        }

        /** When the worker first logged a line containing {@code text} (its log's time of day, UTC). */
        long loggedAt(String name, String text) throws IOException {
            for (String line : Files.readAllLines(output.resolve(name + ".log"))) {
                if (line.contains(text)) {
                    java.time.LocalTime time = java.time.LocalTime.parse(line.substring(0, 12));
                    return java.time.LocalDate.now(java.time.ZoneOffset.UTC).atTime(time).toInstant(java.time.ZoneOffset.UTC)
                            .toEpochMilli();
                }
            }
            throw new IllegalStateException(name + " has not logged '" + text + "'");
        }

        /** The id the worker registered with, from its log. */
        @Override
        public String idOf(String name) throws IOException {
            String log = Files.readString(output.resolve(name + ".log"));
            java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("worker (\\S+) joined fleet").matcher(log);
            if (!matcher.find()) {
                throw new IllegalStateException(name + " has not joined:\n" + log);
            }
            return matcher.group(1);
        }

        @Override
        public Map<String, String> holders() {
            Map<String, String> holders = new HashMap<>();
            reader.read(application).leaseHolders().forEach((unit, worker) -> holders.put(unit.toString(), worker.value()));
            return holders;
        }

        @Override
        public long dynamoDbCalls(String name, long from, long to) throws IOException {
            return AwsCallRecorder.calls(calls.get(name)).stream()
                    .filter(c -> c.action().startsWith("dynamodb:") && c.millis() >= from && c.millis() < to).count();
        }
    }

    /** The records a fleet's workers wrote as JSON lines. */
    static List<Line> linesOf(Path output) throws IOException {
        List<Line> lines = new ArrayList<>();
        try (var files = Files.list(output)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".jsonl")).toList()) {
                for (String text : Files.readAllLines(file)) {
                    if (text.endsWith("}")) {
                        lines.add(lineOf(text));
                    }
                }
            }
        }
        return lines;
    }

    /** One whole line of a worker's JSON-lines output. */
    static Line lineOf(String text) throws IOException {
        JsonNode node = JSON.readTree(text);
        return new Line(node.get("data").asText(), node.get("unit").asText(), node.get("worker").asText(),
                Instant.parse(node.get("processingTime").asText()).toEpochMilli());
    }

    record Line(String id, String unit, String worker, long millis) {

        /** The producer's send time, for records written by {@link Load}. */
        long producedMillis() {
            return Long.parseLong(id.substring(id.lastIndexOf('-') + 1));
        }
    }

    /**
     * A steady load: {@code perBatch} records every {@code every}, each {@code b-<n>-<send millis>}
     * under one of {@code keys} keys (this benchmark: 500 records/s, 10 every 20 ms, over 64 keys).
     */
    static final class Load implements AutoCloseable {
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicLong sent = new AtomicLong();
        final Thread thread;

        Load(KinesisClient kinesis, String stream, int perBatch, Duration every, int keys) {
            thread = new Thread(() -> {
                long next = System.nanoTime();
                while (running.get()) {
                    List<PutRecordsRequestEntry> entries = new ArrayList<>();
                    for (int i = 0; i < perBatch; i++) {
                        long n = sent.getAndIncrement();
                        entries.add(PutRecordsRequestEntry.builder().partitionKey("key-" + (n % keys))
                                .data(SdkBytes.fromUtf8String("b-" + n + "-" + System.currentTimeMillis())).build());
                    }
                    try {
                        kinesis.putRecords(r -> r.streamName(stream).records(entries));
                    } catch (RuntimeException e) {
                        System.err.println("load: " + e);
                    }
                    next += every.toNanos();
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    }
                }
            }, "bench-load");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }
    }

    private static List<String> jvmOptions() {
        List<String> options = new ArrayList<>(List.of("-Xmx512m"));
        String extra = System.getProperty("streamfleet.bench.workerJvm", "").strip();
        if (!extra.isEmpty()) {
            options.addAll(List.of(extra.split("\\s+")));
        }
        return options;
    }

    /** One row: a figure of each kind of worker, streamfleet's target, and whether streamfleet met it. */
    private static final class Figure {
        final String name;
        final String target;
        final Map<Kind, Measured> values = new java.util.EnumMap<>(Kind.class);
        Boolean met;

        Figure(String name, String target) {
            this.name = name;
            this.target = target;
        }
    }

    /** A figure as printed, and the number its ratio is taken of (NaN when there is none). */
    private record Measured(String text, double value) {
    }

    private void measured(String figure, String target, Kind kind, String text, double value) {
        figures.computeIfAbsent(figure, name -> new Figure(name, target)).values.put(kind, new Measured(text, value));
    }

    private void met(String figure, boolean met) {
        figures.get(figure).met = met;
    }

    private Contender fleet(Kind kind, String stream, boolean writeRecords) throws IOException {
        return switch (kind) {
            case STREAMFLEET -> new Fleet(stream, writeRecords ? "jsonl" : NoOpProcessor.class.getName());
            case KCL_DEFAULTS -> new KclFleet("KCL 3.5, defaults", stream, stack.kinesalite().endpoint(),
                    stack.dynamodb().endpoint(), java.util.Optional.empty(), writeRecords, dir, JVM);
            case KCL_PACED -> new KclFleet("KCL 3.5, 250 ms between reads", stream, stack.kinesalite().endpoint(),
                    stack.dynamodb().endpoint(), java.util.Optional.of(250L), writeRecords, dir, JVM);
        };
    }

    /** Every figure, or only those named in {@code -Dstreamfleet.bench.only=cpu} (first, load, cpu), of every kind. */
    private void run() throws Exception {
        Set<String> only = new HashSet<>(List.of(System.getProperty("streamfleet.bench.only", "first,load,cpu").split(",")));
        List<Kind> kinds = java.util.Arrays.stream(System.getProperty("streamfleet.bench.kinds",
                "STREAMFLEET,KCL_DEFAULTS,KCL_PACED").split(",")).map(Kind::valueOf).toList();
        if (kinds.contains(Kind.STREAMFLEET)) {
            attempt(Kind.STREAMFLEET, "building the class archive", this::trainClassArchive);
        }
        for (Kind kind : kinds) {
            System.err.println("== " + kind);
            if (only.contains("first")) {
                attempt(kind, "start to first record", () -> startToFirstRecord(kind, kind == Kind.STREAMFLEET ? 3 : 1));
            }
            if (only.contains("load")) {
                attempt(kind, "the fleet under load", () -> underLoad(kind));
            }
            if (only.contains("cpu")) {
                attempt(kind, "CPU per 100k records", () -> cpuPerHundredThousand(kind));
            }
        }
        publishRows();
    }

    private interface Scenario {
        void run() throws Exception;
    }

    /** Runs one scenario; one that fails is named in the section with its reason, and the others still run. */
    private void attempt(Kind kind, String scenario, Scenario body) {
        try {
            body.run();
        } catch (Exception | AssertionError e) {
            e.printStackTrace();
            out.note(kind + ", " + scenario + ": did not complete (" + e + "); its figures are missing above.");
        }
    }

    private void publishRows() {
        for (Figure figure : figures.values()) {
            Measured ours = figure.values.get(Kind.STREAMFLEET);
            String ratio = ratio(ours, figure.values.get(Kind.KCL_DEFAULTS)) + " / "
                    + ratio(ours, figure.values.get(Kind.KCL_PACED));
            out.row(figure.name, text(ours), text(figure.values.get(Kind.KCL_DEFAULTS)),
                    text(figure.values.get(Kind.KCL_PACED)), ratio, figure.target,
                    figure.met == null ? "" : figure.met ? "met" : "**not met**");
        }
    }

    private static String text(Measured measured) {
        return measured == null ? "not run" : measured.text();
    }

    private static String ratio(Measured ours, Measured theirs) {
        if (ours == null || theirs == null) {
            return "—";
        }
        return ratio(ours.value(), theirs.value());
    }

    /** {@code ours / theirs} as printed ("0.85×"), or "—" where either is missing (NaN) or the ratio is undefined. */
    static String ratio(double ours, double theirs) {
        if (Double.isNaN(ours) || Double.isNaN(theirs)) {
            return "—";
        }
        if (theirs == 0) {
            return ours == 0 ? "1×" : "—";
        }
        double ratio = ours / theirs;
        return ratio < 0.01 ? String.format("%.3f×", ratio) : String.format("%.2f×", ratio);
    }

    private static final String FIRST = "worker start → first record processed (8 shards, records waiting; includes JVM"
            + " start), with the class archive the installation's first worker built";
    private static final String FIRST_COLD = "worker start → first record processed, first start of an"
            + " installation (no class archive yet, or STREAMFLEET_CDS=off)";
    private static final String IDLE = "DynamoDB requests per minute, 8 shards, idle";
    private static final String P50 = "end-to-end latency p50 at 500 records/s (1 worker)";
    private static final String P99 = "end-to-end latency p99 at 500 records/s (1 worker)";
    private static final String BUSY = "DynamoDB requests per minute, 8 shards, 500 records/s";
    private static final String JOIN = "a second worker starts → balanced 4/4, each of its shards processing";
    private static final String LEAVE = "graceful leave (SIGTERM) → its shards processed again";
    private static final String CRASH = "crash (kill -9 of a worker that does not lead) → all its shards processed again";
    private static final String LEADER = "leader killed → its shards processed again";
    private static final String CPU = "consumer CPU per 100k records (kinesalite, no-op processor), whole worker process,"
            + " warm backlog drain";

    private void startToFirstRecord(Kind kind, int trials) throws Exception {
        if (kind != Kind.STREAMFLEET) {
            // KCL has no archive of its own: its one start stands beside both of streamfleet's.
            Starts starts = starts(kind, trials, Map.of(), java.util.Optional.empty());
            measured(FIRST, "≤ 1.5 s", kind, starts.text(), starts.median());
            measured(FIRST_COLD, "< 5 s", kind, starts.text(), starts.median());
            return;
        }
        Starts cold = starts(kind, trials, Map.of("STREAMFLEET_CDS", "off"), java.util.Optional.empty());
        Starts warm = starts(kind, trials, Map.of(), java.util.Optional.of("class-data sharing: classes come from "));
        measured(FIRST, "≤ 1.5 s", kind, warm.text(), warm.median());
        measured(FIRST_COLD, "< 5 s", kind, cold.text(), cold.median());
        met(FIRST_COLD, cold.median() < 5_000);
        met(FIRST, warm.median() <= 1_500);
    }

    /** Starts of a worker on a stream with records waiting: to its first record, and for streamfleet its phases. */
    private record Starts(List<Long> first, List<Long> joined, List<Long> published) {

        long median() {
            return ProcessBenchmark.median(first);
        }

        String text() {
            String text = first.size() == 1 ? seconds(first.get(0)) : seconds(median()) + " (median of " + first.size()
                    + "; " + seconds(first.stream().mapToLong(Long::longValue).min().orElseThrow()) + "–" + seconds(max(first));
            if (!joined.isEmpty()) {
                text += (first.size() == 1 ? " (" : "; ") + "joined " + seconds(ProcessBenchmark.median(joined))
                        + ", assigned " + seconds(ProcessBenchmark.median(published));
            }
            return first.size() == 1 && joined.isEmpty() ? text : text + ")";
        }
    }

    /**
     * {@code trials} first starts of one worker, each of a new fleet on a new stream. For streamfleet, also when
     * it logged that it joined and that it published the assignment (it leads its fleet of one), and each start's
     * log must contain {@code mustSay} when given.
     */
    private Starts starts(Kind kind, int trials, Map<String, String> env, java.util.Optional<String> mustSay)
            throws Exception {
        List<Long> first = new ArrayList<>();
        List<Long> joined = new ArrayList<>();
        List<Long> published = new ArrayList<>();
        for (int trial = 0; trial < trials; trial++) {
            String stream = TestStreams.create(kinesis, "first", SHARDS);
            TestStreams.put(kinesis, stream, 0, 800, 64);
            try (Contender fleet = fleet(kind, stream, true)) {
                long launched = fleet instanceof Fleet ours ? ours.start("w1", env) : fleet.start("w1");
                await(() -> !lines(fleet).isEmpty(), Duration.ofSeconds(300));
                first.add(lines(fleet).stream().mapToLong(Line::millis).min().orElseThrow() - launched);
                if (fleet instanceof Fleet ours) {
                    joined.add(ours.loggedAt("w1", " joined fleet ") - launched);
                    published.add(ours.loggedAt("w1", "published generation 1:") - launched);
                    String log = Files.readString(ours.output().resolve("w1.log"));
                    mustSay.ifPresent(text -> {
                        if (!log.contains(text)) {
                            throw new AssertionError("the worker's log does not say '" + text + "':\n" + log);
                        }
                    });
                }
            }
        }
        return new Starts(first, joined, published);
    }

    /**
     * One worker that records its classes and builds the archive, as the first start of an installation does,
     * before any figure: every later streamfleet worker of the run starts from it (unless told otherwise), and
     * no archive is built while a figure is measured.
     */
    private void trainClassArchive() throws Exception {
        String stream = TestStreams.create(kinesis, "train", SHARDS);
        TestStreams.put(kinesis, stream, 0, 800, 64);
        try (Contender fleet = fleet(Kind.STREAMFLEET, stream, true)) {
            fleet.start("w1");
            WorkerProcess worker = fleet.process("w1");
            await(() -> worker.output().contains("class-data sharing: built ")
                    || worker.output().contains("class-data sharing: building"), Duration.ofSeconds(180));
            if (!worker.output().contains("class-data sharing: built ")) {
                throw new AssertionError("the class archive was not built:\n" + worker.output());
            }
        }
    }

    /**
     * One fleet under load, then changed: idle, loaded, a second worker, and for streamfleet also a
     * graceful leave, a third worker, a crash and the leader killed. KCL's fleet has a second worker
     * join and then crash (KCL has no leader of its own to kill).
     */
    private void underLoad(Kind kind) throws Exception {
        boolean ours = kind == Kind.STREAMFLEET;
        Duration settle = ours ? Duration.ofSeconds(120) : Duration.ofSeconds(300);
        String stream = TestStreams.create(kinesis, "load", SHARDS);
        try (Contender fleet = fleet(kind, stream, true)) {
            fleet.start("w1");
            await(() -> fleet.holders().size() == SHARDS, settle);
            Thread.sleep(10_000);

            long idleFrom = System.currentTimeMillis();
            Thread.sleep(60_000);
            long idle = fleet.dynamoDbCalls("w1", idleFrom, System.currentTimeMillis());
            measured(IDLE, "0", kind, Long.toString(idle), idle);
            if (ours) {
                met(IDLE, idle == 0);
            }

            try (Load load = new Load(kinesis, stream, RATE / 50, Duration.ofMillis(20), 64)) {
                Thread.sleep(5_000);
                long from = System.currentTimeMillis();
                Thread.sleep(60_000);
                long to = System.currentTimeMillis();
                long busy = fleet.dynamoDbCalls("w1", from, to);
                List<Long> latencies = latencies(fleet, from, to);
                long p50 = percentile(latencies, 50);
                long p99 = percentile(latencies, 99);
                measured(P50, "< 150 ms", kind, String.format("%,d ms (%d records)", p50, latencies.size()), p50);
                measured(P99, "< 300 ms", kind, String.format("%,d ms", p99), p99);
                measured(BUSY, "≤ 100", kind, Long.toString(busy), busy);
                if (ours) {
                    met(P50, p50 < 150);
                    met(P99, p99 < 300);
                    met(BUSY, busy <= 100);
                }

                long joinedAt = fleet.start("w2");
                String w2 = awaitJoined(fleet, "w2");
                String w1 = awaitJoined(fleet, "w1");
                if (!awaitQuietly(() -> balanced(fleet.holders(), 2), settle)) {
                    measured(JOIN, "< 2 s", kind, "not balanced within " + settle.toSeconds() + " s (it held "
                            + unitsOf(fleet.holders(), w2).size() + ")", Double.NaN);
                } else {
                    Set<String> w2Units = unitsOf(fleet.holders(), w2);
                    awaitQuietly(() -> processedBy(fleet, w2Units, w2, joinedAt).size() == w2Units.size(), settle);
                    long allProcessing = max(new ArrayList<>(processedBy(fleet, w2Units, w2, joinedAt).values()));
                    long join = allProcessing - joinedAt;
                    List<Long> during = latencies(fleet, joinedAt, joinedAt + join + 2_000);
                    measured(JOIN, "< 2 s", kind, seconds(join) + " (p99 latency meanwhile " + String.format("%,d",
                            percentile(during, 99)) + " ms)", join);
                    if (ours) {
                        met(JOIN, join < 2_000);
                    }
                }

                if (!ours) {
                    Thread.sleep(8_000);
                    Set<String> victimUnits = unitsOf(fleet.holders(), w2);
                    crash(kind, fleet, "w2", victimUnits, w1);
                    return;
                }

                // streamfleet: it leaves gracefully.
                Thread.sleep(5_000);
                Set<String> leaving = unitsOf(fleet.holders(), w2);
                int duplicatesBefore = duplicates(fleet);
                long leftAt = System.currentTimeMillis();
                fleet.process("w2").terminate();
                await(() -> processedBy(fleet, leaving, w1, leftAt).size() == leaving.size(), Duration.ofSeconds(60));
                long leave = max(new ArrayList<>(processedBy(fleet, leaving, w1, leftAt).values())) - leftAt;
                fleet.process("w2").waitFor(Duration.ofSeconds(30));
                Thread.sleep(3_000);
                int graceful = duplicates(fleet) - duplicatesBefore;
                measured(LEAVE, "< 1 s, zero duplicates", kind, seconds(leave) + ", " + graceful + " duplicates", leave);
                met(LEAVE, leave < 1_000 && graceful == 0);

                // A worker that does not lead crashes.
                fleet.start("w3");
                String w3 = awaitJoined(fleet, "w3");
                await(() -> balanced(fleet.holders(), 2), Duration.ofSeconds(120));
                Thread.sleep(8_000);
                String victim = fleet.leader().orElse("").equals(w1) ? "w3" : "w1";
                String survivorId = victim.equals("w3") ? w1 : w3;
                crash(kind, fleet, victim, unitsOf(fleet.holders(), fleet.idOf(victim)), survivorId);

                // The leader crashes.
                String survivor = victim.equals("w3") ? "w1" : "w3";
                fleet.start("w4");
                String w4 = awaitJoined(fleet, "w4");
                await(() -> balanced(fleet.holders(), 2), Duration.ofSeconds(120));
                Thread.sleep(8_000);
                String leaderId = fleet.leader().orElseThrow();
                String leaderName = leaderId.equals(w4) ? "w4" : survivor;
                String otherId = leaderName.equals("w4") ? awaitJoined(fleet, survivor) : w4;
                Set<String> leaderUnits = unitsOf(fleet.holders(), leaderId);
                int beforeLeaderCrash = duplicates(fleet);
                long leaderKilledAt = System.currentTimeMillis();
                fleet.process(leaderName).kill();
                await(() -> processedBy(fleet, leaderUnits, otherId, leaderKilledAt).size() == leaderUnits.size(),
                        Duration.ofSeconds(90));
                long leader = max(new ArrayList<>(processedBy(fleet, leaderUnits, otherId, leaderKilledAt).values()))
                        - leaderKilledAt;
                Thread.sleep(3_000);
                int leaderDuplicates = duplicates(fleet) - beforeLeaderCrash;
                measured(LEADER, "≤ session timeout + 1 s = 11 s", kind, seconds(leader) + " (" + leaderDuplicates
                        + " records re-delivered)", leader);
                met(LEADER, leader <= 11_000);
            }
        }
    }

    /** Kills {@code victim} and measures until {@code survivorId} has processed each of its units again. */
    private void crash(Kind kind, Contender fleet, String victim, Set<String> victimUnits, String survivorId)
            throws Exception {
        int before = duplicates(fleet);
        long crashedAt = System.currentTimeMillis();
        fleet.process(victim).kill();
        Duration bound = kind == Kind.STREAMFLEET ? Duration.ofSeconds(90) : Duration.ofSeconds(300);
        if (victimUnits.isEmpty() || !awaitQuietly(() -> processedBy(fleet, victimUnits, survivorId, crashedAt).size()
                == victimUnits.size(), bound)) {
            measured(CRASH, "≤ session timeout + 1 s = 11 s", kind, victimUnits.isEmpty() ? "not measured (it held no shard)"
                    : "not within " + bound.toSeconds() + " s", Double.NaN);
            return;
        }
        long crash = max(new ArrayList<>(processedBy(fleet, victimUnits, survivorId, crashedAt).values())) - crashedAt;
        Thread.sleep(3_000);
        int crashDuplicates = duplicates(fleet) - before;
        measured(CRASH, "≤ session timeout + 1 s = 11 s", kind, seconds(crash) + " (" + crashDuplicates
                + " records re-delivered)", crash);
        if (kind == Kind.STREAMFLEET) {
            met(CRASH, crash <= 11_000);
        }
    }

    /**
     * Backlog drains: 100k records waiting when the worker starts (cold: JVM start and JIT warm-up
     * included), then twice 100k more, each put while the worker is stopped with SIGSTOP
     * (streamfleet's session timeout raised to 40 s so that it keeps its leases) and drained after
     * SIGCONT (warming, then warm). CPU is the worker process's user plus system time. The figure
     * compared is the warm drain; streamfleet's target is half of KCL's with its defaults.
     */
    private void cpuPerHundredThousand(Kind kind) throws Exception {
        String stream = TestStreams.create(kinesis, "cpu", SHARDS);
        putBulk(stream, 0, CPU_RECORDS);
        try (Contender fleet = fleet(kind, stream, false)) {
            if (fleet instanceof Fleet ours) {
                ours.start("w1", Map.of("STREAMFLEET_ZOOKEEPER_SESSIONTIMEOUT", "40s"));
            } else {
                fleet.start("w1");
            }
            WorkerProcess process = fleet.process("w1");
            awaitSlowly(() -> fleet.processed("w1") >= CPU_RECORDS, Duration.ofMinutes(8));
            double cold = cpuSeconds(process.pid());
            List<String> warm = new ArrayList<>();
            double last = 0;
            for (int round = 1; round <= 2; round++) {
                Thread.sleep(5_000);
                process.signal("STOP");
                putBulk(stream, round * CPU_RECORDS, (round + 1) * CPU_RECORDS);
                double before = cpuSeconds(process.pid());
                process.signal("CONT");
                int target = (round + 1) * CPU_RECORDS;
                awaitSlowly(() -> fleet.processed("w1") >= target, Duration.ofMinutes(8));
                last = cpuSeconds(process.pid()) - before;
                warm.add(String.format("%.2f", last));
            }
            measured(CPU, "≤ 0.5× KCL's (defaults)", kind, String.format("%.2f CPU-s (the first 100k with JVM start"
                    + " %.2f; warming %s)", last, cold, warm.get(0)), last);
        }
        Figure figure = figures.get(CPU);
        Measured ours = figure.values.get(Kind.STREAMFLEET);
        Measured kcl = figure.values.get(Kind.KCL_DEFAULTS);
        if (ours != null && kcl != null) {
            figure.met = ours.value() <= 0.5 * kcl.value();
        }
    }

    private static boolean awaitQuietly(BooleanSupplier condition, Duration atMost) {
        try {
            await(condition, atMost);
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    private void putBulk(String stream, int from, int to) {
        byte[] data = new byte[100];
        for (int start = from; start < to; start += 500) {
            List<PutRecordsRequestEntry> entries = new ArrayList<>();
            for (int i = start; i < Math.min(to, start + 500); i++) {
                entries.add(PutRecordsRequestEntry.builder().partitionKey("k" + i).data(SdkBytes.fromByteArray(data)).build());
            }
            kinesis.putRecords(r -> r.streamName(stream).records(entries));
        }
    }

    // ---- helpers ----

    private String awaitJoined(Contender fleet, String name) {
        String[] id = new String[1];
        await(() -> {
            try {
                id[0] = fleet.idOf(name);
                return true;
            } catch (IllegalStateException | IOException e) {
                return false;
            }
        }, Duration.ofSeconds(60));
        return id[0];
    }

    private static long recordsProcessed(String url) {
        try {
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
            return metrics.lines().filter(l -> l.startsWith("streamfleet_worker_records_total "))
                    .mapToLong(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1).trim())).findFirst().orElse(0);
        } catch (IOException | InterruptedException e) {
            return 0;
        }
    }

    /** User plus system CPU time of a process, from /proc (clock ticks of 1/100 s). */
    private static double cpuSeconds(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
    }

    private static List<Line> lines(Contender fleet) {
        try {
            return linesOf(fleet.output());
        } catch (IOException e) {
            return List.of();
        }
    }

    /** For each unit, the first processing time at or after {@code since} by that worker. */
    private static Map<String, Long> processedBy(Contender fleet, Set<String> units, String worker, long since) {
        return processedBy(lines(fleet), units, worker, since);
    }

    /** For each unit, the first processing time at or after {@code since} by that worker, among {@code lines}. */
    static Map<String, Long> processedBy(List<Line> lines, Set<String> units, String worker, long since) {
        Map<String, Long> first = new HashMap<>();
        for (Line line : lines) {
            if (units.contains(line.unit()) && line.worker().equals(worker) && line.millis() >= since) {
                first.merge(line.unit(), line.millis(), Math::min);
            }
        }
        return first;
    }

    private static List<Long> latencies(Contender fleet, long from, long to) {
        List<Long> latencies = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Line line : lines(fleet)) {
            if (line.id().startsWith("b-") && seen.add(line.id())) {
                long produced = line.producedMillis();
                if (produced >= from && produced < to) {
                    latencies.add(line.millis() - produced);
                }
            }
        }
        latencies.sort(Long::compare);
        return latencies;
    }

    private static int duplicates(Contender fleet) {
        return duplicates(lines(fleet));
    }

    /** Deliveries beyond each record's first. */
    static int duplicates(List<Line> lines) {
        return lines.size() - (int) lines.stream().map(Line::id).distinct().count();
    }

    private static boolean balanced(Map<String, String> holders, int workers) {
        if (holders.size() != SHARDS) {
            return false;
        }
        Map<String, Integer> counts = new HashMap<>();
        holders.values().forEach(w -> counts.merge(w, 1, Integer::sum));
        return counts.size() == workers && counts.values().stream().allMatch(c -> c == SHARDS / workers);
    }

    static Set<String> unitsOf(Map<String, String> holders, String worker) {
        Set<String> units = new HashSet<>();
        holders.forEach((unit, holder) -> {
            if (holder.equals(worker)) {
                units.add(unit);
            }
        });
        return units;
    }

    private void stop(Fleet fleet) throws InterruptedException {
        for (WorkerProcess process : fleet.processes.values()) {
            if (process.isAlive()) {
                process.terminate();
                process.waitFor(Duration.ofSeconds(30));
            }
        }
        fleet.reader.close();
    }

    /** As {@link #await}, asking twice a second: each ask renders the worker's metrics, which costs it CPU. */
    private static void awaitSlowly(BooleanSupplier condition, Duration atMost) {
        await(condition, atMost, 500);
    }

    private static void await(BooleanSupplier condition, Duration atMost) {
        await(condition, atMost, 50);
    }

    static void await(BooleanSupplier condition, Duration atMost, long pollMillis) {
        long end = System.nanoTime() + atMost.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new IllegalStateException("not reached within " + atMost);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(pollMillis * 1_000_000L);
        }
    }

    private static long percentile(List<Long> sorted, int percent) {
        if (sorted.isEmpty()) {
            return -1;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * percent / 100.0) - 1));
    }

    static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(Long::compare);
        return sorted.get(sorted.size() / 2);
    }

    static long max(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).max().orElseThrow();
    }

    static String seconds(long millis) {
        return millis < 10_000 ? String.format("%.2f s", millis / 1000.0) : String.format("%.1f s", millis / 1000.0);
    }
}
