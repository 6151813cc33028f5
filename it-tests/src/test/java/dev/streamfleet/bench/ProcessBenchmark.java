package dev.streamfleet.bench;

import dev.streamfleet.coordinator.zk.FleetReader;
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
    private final BenchmarkSection out = new BenchmarkSection("streamfleet against KCL 3.5 — `it-tests/benchmarks.sh process`", """
            Worker processes as users start them (`streamfleet worker`, JVM option `-Xmx512m`, the
            default configuration: session timeout 10 s, checkpoint at most every 5 s, `jsonl`
            processor), a Kinesis stream of 8 shards on `kinesalite`, checkpoints in `dynalite`,
            ZooKeeper standalone with its default tick of 2 s. Times come from the workers' own output:
            the processing time of the record that proves the figure, against the wall clock when the
            benchmark launched, signalled or killed the process. DynamoDB requests are the calls each
            worker made, recorded by the AWS SDK inside the worker. The load is 500 records/s, 10 every
            20 ms, over 64 partition keys; latency is processing time minus the producer's send time.
            One run of each figure except the first (3 runs). KCL's figures are those measured with
            KCL 3.5 and its defaults on the same kind of machine and emulators.
            """, "figure", "KCL 3.5", "target", "streamfleet", "");
    private int workers;

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
            benchmark.out.publish();
        }
        System.exit(0);
    }

    /** One fleet: its configuration, its workers, its output. */
    private final class Fleet {
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

        /** Starts a worker process; returns its name and the wall-clock millis just before the launch. */
        long start(String name) throws IOException {
            return start(name, Map.of());
        }

        long start(String name, Map<String, String> overrides) throws IOException {
            Path recorded = output.resolve(name + "-aws-calls.txt");
            calls.put(name, recorded);
            Map<String, String> env = new HashMap<>(overrides);
            env.put(AwsCallRecorder.VARIABLE, recorded.toString());
            env.put("STREAMFLEET_CLASSPATH", dev.streamfleet.it.Installation.testExtensions().toString());
            env.put("JAVA_TOOL_OPTIONS", "-Daws.cborEnabled=false");
            long launched = System.currentTimeMillis();
            processes.put(name, WorkerProcess.start(JVM, output.resolve(name + ".log"), env, "worker", "--config",
                    config.toString()));
            workers++;
            return launched;
        }

        /** When the worker logged that it had joined (its log's time of day, UTC). */
        long joinedAt(String name) throws IOException {
            for (String line : Files.readAllLines(output.resolve(name + ".log"))) {
                if (line.contains(" joined fleet ")) {
                    java.time.LocalTime time = java.time.LocalTime.parse(line.substring(0, 12));
                    return java.time.LocalDate.now(java.time.ZoneOffset.UTC).atTime(time).toInstant(java.time.ZoneOffset.UTC)
                            .toEpochMilli();
                }
            }
            throw new IllegalStateException(name + " has not joined");
        }

        /** The id the worker registered with, from its log. */
        String idOf(String name) throws IOException {
            String log = Files.readString(output.resolve(name + ".log"));
            java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("worker (\\S+) joined fleet").matcher(log);
            if (!matcher.find()) {
                throw new IllegalStateException(name + " has not joined:\n" + log);
            }
            return matcher.group(1);
        }

        Map<String, String> holders() {
            Map<String, String> holders = new HashMap<>();
            reader.read(application).leaseHolders().forEach((unit, worker) -> holders.put(unit.toString(), worker.value()));
            return holders;
        }

        String leader() {
            return reader.read(application).leader().map(id -> id.value()).orElse("");
        }

        List<Line> lines() throws IOException {
            List<Line> lines = new ArrayList<>();
            try (var files = Files.list(output)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".jsonl")).toList()) {
                    for (String text : Files.readAllLines(file)) {
                        if (text.endsWith("}")) {
                            JsonNode node = JSON.readTree(text);
                            lines.add(new Line(node.get("data").asText(), node.get("unit").asText(),
                                    node.get("worker").asText(), Instant.parse(node.get("processingTime").asText()).toEpochMilli()));
                        }
                    }
                }
            }
            return lines;
        }

        long dynamoDbCalls(String name, long from, long to) throws IOException {
            return AwsCallRecorder.calls(calls.get(name)).stream()
                    .filter(c -> c.action().startsWith("dynamodb:") && c.millis() >= from && c.millis() < to).count();
        }
    }

    private record Line(String id, String unit, String worker, long millis) {

        /** The producer's send time, for records written by {@link Load}. */
        long producedMillis() {
            return Long.parseLong(id.substring(id.lastIndexOf('-') + 1));
        }
    }

    /** 500 records/s, 10 every 20 ms, each {@code b-<n>-<send millis>} under one of 64 keys. */
    private final class Load implements AutoCloseable {
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicLong sent = new AtomicLong();
        final Thread thread;

        Load(String stream) {
            thread = new Thread(() -> {
                long next = System.nanoTime();
                while (running.get()) {
                    List<PutRecordsRequestEntry> entries = new ArrayList<>();
                    for (int i = 0; i < RATE / 50; i++) {
                        long n = sent.getAndIncrement();
                        entries.add(PutRecordsRequestEntry.builder().partitionKey("key-" + (n % 64))
                                .data(SdkBytes.fromUtf8String("b-" + n + "-" + System.currentTimeMillis())).build());
                    }
                    try {
                        kinesis.putRecords(r -> r.streamName(stream).records(entries));
                    } catch (RuntimeException e) {
                        System.err.println("load: " + e);
                    }
                    next += 20_000_000L;
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

    private void row(String figure, String kcl, String target, String measured, boolean met) {
        out.row(figure, kcl, target, measured, met ? "met" : "**not met**");
    }

    private static List<String> jvmOptions() {
        List<String> options = new ArrayList<>(List.of("-Xmx512m"));
        String extra = System.getProperty("streamfleet.bench.workerJvm", "").strip();
        if (!extra.isEmpty()) {
            options.addAll(List.of(extra.split("\\s+")));
        }
        return options;
    }

    /** Every figure, or only those named in {@code -Dstreamfleet.bench.only=cpu} (first, load, cpu). */
    private void run() throws Exception {
        Set<String> only = new HashSet<>(List.of(System.getProperty("streamfleet.bench.only", "first,load,cpu").split(",")));
        if (only.contains("first")) {
            startToFirstRecord();
        }
        if (only.contains("load")) {
            fleetUnderLoad();
        }
        if (only.contains("cpu")) {
            cpuPerHundredThousand();
        }
    }

    private void startToFirstRecord() throws Exception {
        List<Long> times = new ArrayList<>();
        for (int trial = 0; trial < 3; trial++) {
            String stream = TestStreams.create(kinesis, "first", SHARDS);
            TestStreams.put(kinesis, stream, 0, 800, 64);
            Fleet fleet = new Fleet(stream, "jsonl");
            long launched = fleet.start("w1");
            await(() -> !lines(fleet).isEmpty(), Duration.ofSeconds(120));
            long first = lines(fleet).stream().mapToLong(Line::millis).min().orElseThrow();
            times.add(first - launched);
            stop(fleet);
        }
        row("worker start → first record processed (8 shards, records waiting; includes JVM start)", "86 s", "< 5 s",
                seconds(median(times)) + " (median of 3; " + seconds(times.stream().mapToLong(Long::longValue).min().orElseThrow())
                        + "–" + seconds(max(times)) + ")", median(times) < 5_000);
    }

    private void fleetUnderLoad() throws Exception {
        String stream = TestStreams.create(kinesis, "load", SHARDS);
        Fleet fleet = new Fleet(stream, "jsonl");
        fleet.start("w1");
        await(() -> fleet.holders().size() == SHARDS, Duration.ofSeconds(60));
        Thread.sleep(10_000);

        long idleFrom = System.currentTimeMillis();
        Thread.sleep(60_000);
        long idle = fleet.dynamoDbCalls("w1", idleFrom, System.currentTimeMillis());
        row("DynamoDB requests per minute, 8 shards, idle", "158", "0", Long.toString(idle), idle == 0);

        try (Load load = new Load(stream)) {
            Thread.sleep(5_000);
            long from = System.currentTimeMillis();
            Thread.sleep(60_000);
            long to = System.currentTimeMillis();
            long busy = fleet.dynamoDbCalls("w1", from, to);
            List<Long> latencies = latencies(fleet, from, to);
            row("end-to-end latency at 500 records/s, p50 / p99 (1 worker)", "785 / 1,538 ms", "< 150 / < 300 ms",
                    percentile(latencies, 50) + " / " + percentile(latencies, 99) + " ms (" + latencies.size() + " records)",
                    percentile(latencies, 50) < 150 && percentile(latencies, 99) < 300);
            row("DynamoDB requests per minute, 8 shards, 500 records/s", "158 + its checkpoints", "≤ 100",
                    Long.toString(busy), busy <= 100);

            // A second worker joins.
            long joinedAt = fleet.start("w2");
            String w2 = awaitJoined(fleet, "w2");
            await(() -> balanced(fleet.holders(), 2), Duration.ofSeconds(120));
            Set<String> w2Units = unitsOf(fleet.holders(), w2);
            await(() -> processedBy(fleet, w2Units, w2, joinedAt).size() == w2Units.size(), Duration.ofSeconds(60));
            long allProcessing = max(new ArrayList<>(processedBy(fleet, w2Units, w2, joinedAt).values()));
            long join = allProcessing - joinedAt;
            long afterJoining = allProcessing - fleet.joinedAt("w2");
            List<Long> during = latencies(fleet, joinedAt, joinedAt + join + 2_000);
            row("second worker joins → balanced 4/4, each of its shards processing",
                    "194 s (first record after 76 s; p99 latency meanwhile 6.3 s)", "< 2 s",
                    seconds(join) + " from process start, " + seconds(afterJoining) + " from joining the fleet (p99 latency"
                            + " meanwhile " + percentile(during, 99) + " ms)", join < 2_000);

            // It leaves gracefully.
            Thread.sleep(5_000);
            int duplicatesBefore = duplicates(fleet);
            String w1 = awaitJoined(fleet, "w1");
            long leftAt = System.currentTimeMillis();
            fleet.processes.get("w2").terminate();
            await(() -> processedBy(fleet, w2Units, w1, leftAt).size() == w2Units.size(), Duration.ofSeconds(60));
            long leave = max(new ArrayList<>(processedBy(fleet, w2Units, w1, leftAt).values())) - leftAt;
            fleet.processes.get("w2").waitFor(Duration.ofSeconds(30));
            Thread.sleep(3_000);
            int graceful = duplicates(fleet) - duplicatesBefore;
            row("graceful leave (SIGTERM) → its shards processed again", "20–40 s (reported by KCL users)",
                    "< 1 s, zero duplicates", seconds(leave) + ", " + graceful + " duplicates", leave < 1_000 && graceful == 0);

            // A non-leader crashes.
            fleet.start("w3");
            String w3 = awaitJoined(fleet, "w3");
            await(() -> balanced(fleet.holders(), 2), Duration.ofSeconds(120));
            Thread.sleep(8_000);
            String victim = fleet.leader().equals(w1) ? "w3" : "w1";
            String victimId = victim.equals("w3") ? w3 : w1;
            String survivorId = victim.equals("w3") ? w1 : w3;
            Set<String> victimUnits = unitsOf(fleet.holders(), victimId);
            int beforeCrash = duplicates(fleet);
            long crashedAt = System.currentTimeMillis();
            fleet.processes.get(victim).kill();
            await(() -> processedBy(fleet, victimUnits, survivorId, crashedAt).size() == victimUnits.size(),
                    Duration.ofSeconds(90));
            long crash = max(new ArrayList<>(processedBy(fleet, victimUnits, survivorId, crashedAt).values())) - crashedAt;
            Thread.sleep(3_000);
            int crashDuplicates = duplicates(fleet) - beforeCrash;
            row("crash (kill -9 of a non-leader) → all its shards processed again", "33–53 s (1,153 records re-delivered)",
                    "≤ session timeout + 1 s = 11 s", seconds(crash) + " (" + crashDuplicates + " records re-delivered)",
                    crash <= 11_000);

            // The leader crashes.
            String survivor = victim.equals("w3") ? "w1" : "w3";
            fleet.start("w4");
            String w4 = awaitJoined(fleet, "w4");
            await(() -> balanced(fleet.holders(), 2), Duration.ofSeconds(120));
            Thread.sleep(8_000);
            String leaderId = fleet.leader();
            String leaderName = leaderId.equals(w4) ? "w4" : survivor;
            String otherId = leaderName.equals("w4") ? awaitJoined(fleet, survivor) : w4;
            Set<String> leaderUnits = unitsOf(fleet.holders(), leaderId);
            int beforeLeaderCrash = duplicates(fleet);
            long leaderKilledAt = System.currentTimeMillis();
            fleet.processes.get(leaderName).kill();
            await(() -> processedBy(fleet, leaderUnits, otherId, leaderKilledAt).size() == leaderUnits.size(),
                    Duration.ofSeconds(90));
            long leader = max(new ArrayList<>(processedBy(fleet, leaderUnits, otherId, leaderKilledAt).values()))
                    - leaderKilledAt;
            Thread.sleep(3_000);
            int leaderDuplicates = duplicates(fleet) - beforeLeaderCrash;
            row("leader killed → its shards processed again", "169 s", "≤ session timeout + 1 s = 11 s",
                    seconds(leader) + " (" + leaderDuplicates + " records re-delivered)", leader <= 11_000);
        }
        stop(fleet);
    }

    /**
     * Backlog drains, as KCL's figure was taken: 100k records waiting when the worker starts
     * (cold: JVM start and JIT warm-up included), then twice 100k more, each put while the worker
     * is stopped with SIGSTOP (its session timeout raised to 40 s so that it keeps its leases) and
     * drained after SIGCONT (warming, then warm). CPU is the worker process's user plus system time.
     */
    private void cpuPerHundredThousand() throws Exception {
        String stream = TestStreams.create(kinesis, "cpu", SHARDS);
        putBulk(stream, 0, CPU_RECORDS);
        Fleet fleet = new Fleet(stream, NoOpProcessor.class.getName());
        fleet.start("w1", Map.of("STREAMFLEET_ZOOKEEPER_SESSIONTIMEOUT", "40s"));
        WorkerProcess process = fleet.processes.get("w1");
        String url = awaitStatusUrl(fleet);
        awaitSlowly(() -> recordsProcessed(url) >= CPU_RECORDS, Duration.ofMinutes(5));
        double cold = cpuSeconds(process.pid());
        List<String> warm = new ArrayList<>();
        double last = 0;
        for (int round = 1; round <= 2; round++) {
            Thread.sleep(5_000);
            process.signal("STOP");
            putBulk(stream, (round) * CPU_RECORDS, (round + 1) * CPU_RECORDS);
            double before = cpuSeconds(process.pid());
            process.signal("CONT");
            int target = (round + 1) * CPU_RECORDS;
            awaitSlowly(() -> recordsProcessed(url) >= target, Duration.ofMinutes(5));
            last = cpuSeconds(process.pid()) - before;
            warm.add(String.format("%.2f", last));
        }
        row("consumer CPU per 100k records (kinesalite, no-op processor), whole worker process, backlog drained",
                "~1.1 CPU-s", "≤ 0.55 CPU-s", String.format("%.2f CPU-s the first 100k (JVM start and warm-up included),"
                        + " then %s for the next two", cold, String.join(" and ", warm)), last <= 0.55);
        stop(fleet);
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

    private String awaitJoined(Fleet fleet, String name) {
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

    private String awaitStatusUrl(Fleet fleet) {
        String[] url = new String[1];
        await(() -> {
            var registered = fleet.reader.read(fleet.application).workers();
            if (registered.isEmpty()) {
                return false;
            }
            url[0] = registered.get(0).statusUrl();
            return true;
        }, Duration.ofSeconds(60));
        return url[0];
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

    private static List<Line> lines(Fleet fleet) {
        try {
            return fleet.lines();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** For each unit, the first processing time at or after {@code since} by that worker. */
    private static Map<String, Long> processedBy(Fleet fleet, Set<String> units, String worker, long since) {
        Map<String, Long> first = new HashMap<>();
        for (Line line : lines(fleet)) {
            if (units.contains(line.unit()) && line.worker().equals(worker) && line.millis() >= since) {
                first.merge(line.unit(), line.millis(), Math::min);
            }
        }
        return first;
    }

    private static List<Long> latencies(Fleet fleet, long from, long to) {
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

    private static int duplicates(Fleet fleet) {
        List<Line> lines = lines(fleet);
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

    private static Set<String> unitsOf(Map<String, String> holders, String worker) {
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

    private static void await(BooleanSupplier condition, Duration atMost, long pollMillis) {
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

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(Long::compare);
        return sorted.get(sorted.size() / 2);
    }

    private static long max(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).max().orElseThrow();
    }

    private static String seconds(long millis) {
        return millis < 10_000 ? String.format("%.2f s", millis / 1000.0) : String.format("%.1f s", millis / 1000.0);
    }
}
