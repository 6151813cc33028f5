package dev.streamfleet.it.faults;

import dev.streamfleet.deploy.localstack.LocalStack;
import dev.streamfleet.it.AwsCallRecorder;
import dev.streamfleet.it.Installation;
import dev.streamfleet.it.cli.WorkerProcess;
import dev.streamfleet.it.worker.TestStreams;
import dev.streamfleet.it.worker.TestTopics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import software.amazon.awssdk.services.kinesis.KinesisClient;

import static org.awaitility.Awaitility.await;

/**
 * One scenario's fleet: worker processes started the way users start them, a Kinesis stream
 * and a Kafka topic under a steady load, a watcher on the leases, and a log of the faults the
 * test causes. At the end it drains the load and hands everything to a {@link DeliveryReport}.
 */
final class FleetUnderFaults implements AutoCloseable {

    static final Duration SESSION_TIMEOUT = Duration.ofSeconds(4);
    static final Duration CHECKPOINT_INTERVAL = Duration.ofSeconds(1);
    private static final Pattern JOINED = Pattern.compile("worker (\\S+) joined fleet");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Offers of a failing batch, then of its failing record, before the record is dead-lettered: quick retries. */
    static final int PROCESSOR_ATTEMPTS = 2;

    /**
     * How a scenario's fleet differs from the usual one.
     *
     * @param poisonEvery            above 0: the processor fails on every record that
     *                               {@link SlowJsonlProcessors#isPoison} names, and the workers write those to
     *                               a dead-letter topic of the scenario's own
     * @param defaultInitialPosition no {@code initialPosition} for either source (LATEST, the default), and no
     *                               load until {@link #startLoadOnceEveryUnitIsReading}
     * @param loadOnceReading        no load until {@link #startLoadOnceEveryUnitIsReading}
     */
    record Variant(int parallelism, String kinesisReader, Optional<Duration> holdEachBatch, int poisonEvery,
                   boolean defaultInitialPosition, boolean loadOnceReading) {

        static Variant usual() {
            return new Variant(1, "polling", Optional.empty(), 0, false, false);
        }

        Variant withParallelism(int value) {
            return new Variant(value, kinesisReader, holdEachBatch, poisonEvery, defaultInitialPosition, loadOnceReading);
        }

        Variant withPoisonEvery(int value) {
            return new Variant(parallelism, kinesisReader, holdEachBatch, value, defaultInitialPosition, loadOnceReading);
        }

        Variant withDefaultInitialPosition() {
            return new Variant(parallelism, kinesisReader, holdEachBatch, poisonEvery, true, true);
        }

        Variant withLoadOnceReading() {
            return new Variant(parallelism, kinesisReader, holdEachBatch, poisonEvery, defaultInitialPosition, true);
        }
    }

    /** A worker process of this fleet. */
    final class Worker {
        final String name;
        final WorkerProcess process;
        final Path calls;
        private String id;

        Worker(String name, WorkerProcess process, Path calls) {
            this.name = name;
            this.process = process;
            this.calls = calls;
        }

        /** The worker id it registered with, from its log; waits (bounded) until it has joined. */
        String id() {
            if (id == null) {
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
                    Matcher matcher = JOINED.matcher(process.output());
                    if (matcher.find()) {
                        id = matcher.group(1);
                        return true;
                    }
                    if (!process.isAlive()) {
                        throw new AssertionError("worker " + name + " exited before joining:\n" + process.output());
                    }
                    return false;
                });
            }
            return id;
        }

        List<AwsCallRecorder.Call> calls() throws IOException {
            return AwsCallRecorder.calls(calls);
        }

        @Override
        public String toString() {
            return name + (id == null ? "" : " (" + id + ")");
        }
    }

    /**
     * How long a revoked unit may take to finish its batch ({@code processing.drainTimeout}) and
     * how long a batch may run past that before its worker exits with code 70
     * ({@code processing.stuckAfter}).
     */
    record HandOverBounds(Duration drainTimeout, Duration stuckAfter) {
        /** When, at the latest, a worker whose batch hangs through a revoke exits, counted from the revoke. */
        Duration exitAfterRevoke() {
            return drainTimeout.plus(stuckAfter);
        }
    }

    final String scenario;
    final String application;
    final String stream;
    final String topic;
    final LocalStack stack;
    final Path dir;
    final LeaseWatcher leases;
    final LoadProducer load;
    private final dev.streamfleet.coordinator.internal.zk.FleetReader reader;
    private final Path config;
    private final Map<String, Worker> workers = new LinkedHashMap<>();
    /** Every worker this fleet started, running or not: their call and callback logs are judged. */
    private final List<Worker> everStarted = new ArrayList<>();
    private final Set<String> stoppedCleanly = new HashSet<>();
    private final Set<String> killed = new HashSet<>();
    private ProcessorEndings endings;
    private final Map<String, String> everyWorkersEnvironment = new java.util.HashMap<>();
    private final List<DeliveryReport.Crash> crashes = new ArrayList<>();
    private final int parallelism;
    private final Optional<Duration> holdEachBatch;
    private final Optional<HandOverBounds> handOver;
    private final Variant variant;
    private final Optional<DeadLetterTopic> deadLetters;
    private DeadLetterReport deadLetterReport;
    private int started;

    FleetUnderFaults(LocalStack stack, String scenario, int recordsPerSecondEach) throws Exception {
        this(stack, scenario, recordsPerSecondEach, 1);
    }

    /**
     * @param parallelism above 1: batches of one unit processed concurrently by key, with a
     *                    processor that finishes them in random order ({@link SlowJsonlProcessors})
     */
    FleetUnderFaults(LocalStack stack, String scenario, int recordsPerSecondEach, int parallelism) throws Exception {
        this(stack, scenario, recordsPerSecondEach, parallelism, "polling");
    }

    /** @param kinesisReader how the workers read the stream: {@code polling} or {@code fanout} */
    FleetUnderFaults(LocalStack stack, String scenario, int recordsPerSecondEach, int parallelism, String kinesisReader)
            throws Exception {
        this(stack, stack.zookeeper().endpoint(), scenario, recordsPerSecondEach,
                new Variant(parallelism, kinesisReader, Optional.empty(), 0, false, false), Optional.empty());
    }

    /** A fleet as {@code variant} says. */
    FleetUnderFaults(LocalStack stack, String scenario, int recordsPerSecondEach, Variant variant) throws Exception {
        this(stack, stack.zookeeper().endpoint(), scenario, recordsPerSecondEach, variant, Optional.empty());
    }

    /**
     * A fleet whose processor ({@link SlowJsonlProcessors}, parallelism 1) writes each batch at once
     * and returns from {@code process} only {@code holdEachBatch} later: a worker frozen at any time
     * is almost surely frozen with a batch in hand, and once thawed it has a checkpoint due.
     */
    FleetUnderFaults(LocalStack stack, String scenario, int recordsPerSecondEach, Duration holdEachBatch)
            throws Exception {
        this(stack, stack.zookeeper().endpoint(), scenario, recordsPerSecondEach,
                new Variant(1, "polling", Optional.of(holdEachBatch), 0, false, false), Optional.empty());
    }

    /** A fleet on a ZooKeeper ensemble of the scenario's own, at {@code zookeeper}, rather than the stack's. */
    FleetUnderFaults(LocalStack stack, String zookeeper, String scenario, int recordsPerSecondEach) throws Exception {
        this(stack, zookeeper, scenario, recordsPerSecondEach, Variant.usual(), Optional.empty());
    }

    /**
     * A fleet with short hand-over bounds, whose processor ({@link SlowJsonlProcessors}) can be
     * made to hang on one worker ({@link #startHanging}). Every unit is pinned at the same weight,
     * so the leader balances by count: when a worker joins two that hold 4 units each, each of
     * them gives up one, whatever loads were measured (a hung worker's measured load is not a
     * figure to build a scenario on).
     */
    FleetUnderFaults(LocalStack stack, String scenario, int recordsPerSecondEach, HandOverBounds handOver)
            throws Exception {
        this(stack, stack.zookeeper().endpoint(), scenario, recordsPerSecondEach, Variant.usual(), Optional.of(handOver));
    }

    private FleetUnderFaults(LocalStack stack, String zookeeper, String scenario, int recordsPerSecondEach,
                             Variant variant, Optional<HandOverBounds> handOver) throws Exception {
        this.stack = stack;
        this.variant = variant;
        this.handOver = handOver;
        this.parallelism = variant.parallelism();
        this.holdEachBatch = variant.holdEachBatch();
        String kinesisReader = variant.kinesisReader();
        this.scenario = scenario;
        this.application = "faults-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        this.dir = Files.createDirectories(stack.workDir().resolve("faults").resolve(application));
        try (KinesisClient kinesis = TestStreams.client(stack.kinesis().endpoint())) {
            this.stream = TestStreams.create(kinesis, "faults", 4);
        }
        this.topic = TestTopics.create(stack.kafka().endpoint(), "faults", 4);
        this.config = dir.resolve("fleet.yaml");
        this.deadLetters = variant.poisonEvery() > 0 ? Optional.of(new DeadLetterTopic(stack.kafka().endpoint()))
                : Optional.empty();
        String initialPosition = variant.defaultInitialPosition() ? "" : "initialPosition: TRIM_HORIZON";
        Files.writeString(config, """
                application: %s
                zookeeper:
                  connect: %s
                  sessionTimeout: %ds
                checkpoints:
                  table: fault-checkpoints
                  region: us-east-1
                  endpoint: %s
                  interval: %dms
                sources:
                  - kinesis:
                      stream: %s
                      region: us-east-1
                      endpoint: %s
                      %s
                      idleWait: 100ms
                      reader: %s
                  - kafka:
                      topic: %s
                      bootstrapServers: %s
                      %s
                processor:
                  type: %s
                  options:
                    path: %s
                processing:
                  parallelism: %d
                """.formatted(application, zookeeper, SESSION_TIMEOUT.toSeconds(),
                stack.dynamodb().endpoint(), CHECKPOINT_INTERVAL.toMillis(), stream, stack.kinesis().endpoint(),
                initialPosition, kinesisReader, topic, stack.kafka().endpoint(), initialPosition,
                SlowJsonlProcessors.class.getName(),
                dir.resolve("records-{worker}.jsonl"), parallelism)
                + deadLetters.map(d -> """
                  processorAttempts: %d
                  deadLetter:
                    kafka:
                      topic: %s
                      bootstrapServers: %s
                """.formatted(PROCESSOR_ATTEMPTS, d.topic, stack.kafka().endpoint())).orElse("")
                + handOver.map(this::handOverYaml).orElse(""));
        this.leases = new LeaseWatcher(zookeeper, application);
        this.reader = dev.streamfleet.coordinator.internal.zk.FleetReader.connect(zookeeper, Duration.ofSeconds(5));
        this.load = new LoadProducer(stack.kinesis().endpoint(), stream, stack.kafka().endpoint(), topic, recordsPerSecondEach,
                !variant.loadOnceReading());
    }

    /** Sets an environment variable for every worker started from now on (a test processor's behaviour, say). */
    FleetUnderFaults withWorkerEnvironment(String variable, String value) {
        everyWorkersEnvironment.put(variable, value);
        return this;
    }

    /** The rest of the processing section, and a balancing section that pins all 8 units at one weight. */
    private String handOverYaml(HandOverBounds bounds) {
        StringBuilder yaml = new StringBuilder("""
                  drainTimeout: %dms
                  stuckAfter: %dms
                balancing:
                  weights:
                """.formatted(bounds.drainTimeout().toMillis(), bounds.stuckAfter().toMillis()));
        for (int i = 0; i < 4; i++) {
            yaml.append("    \"kinesis/%s/shardId-%012d\": 0.5%n".formatted(stream, i));
            yaml.append("    \"kafka/%s/%d\": 0.5%n".formatted(topic, i));
        }
        return yaml.toString();
    }

    Worker start() throws IOException {
        return start(Map.of());
    }

    /** Starts a worker whose every batch hangs, before it is written, from the moment {@code trigger} exists. */
    Worker startHanging(Path trigger) throws IOException {
        if (handOver.isEmpty()) {
            throw new IllegalStateException("a hung worker needs a fleet with hand-over bounds");
        }
        return start(Map.of(SlowJsonlProcessors.HANG_WHEN_VARIABLE, trigger.toString()));
    }

    /** Starts a worker that reaches ZooKeeper through {@code connect} only (one member, say). */
    Worker startConnectedTo(String connect) throws IOException {
        return start(Map.of("STREAMFLEET_ZOOKEEPER_CONNECT", connect));
    }

    /**
     * Starts a worker with these configuration overrides in its environment
     * ({@code STREAMFLEET_CHECKPOINTS_ENDPOINT}, say: a worker of its own path to DynamoDB).
     */
    Worker start(Map<String, String> environment) throws IOException {
        String name = "w" + (++started);
        Path calls = dir.resolve(name + "-aws-calls.txt");
        Map<String, String> variables = new java.util.HashMap<>(everyWorkersEnvironment);
        variables.putAll(environment);
        variables.putAll(Map.of(AwsCallRecorder.VARIABLE, calls.toString(),
                "STREAMFLEET_CLASSPATH", Installation.testExtensions().toString(),
                "STREAMFLEET_TEST_JSONL", dir.resolve("records-{worker}.jsonl").toString(),
                "STREAMFLEET_TEST_CALLBACKS", dir.resolve("callbacks-{worker}.log").toString()));
        if (parallelism > 1) {
            variables.put("STREAMFLEET_TEST_JITTER", "true");
        }
        holdEachBatch.ifPresent(hold -> variables.put("STREAMFLEET_TEST_HOLD_BATCH_MS", Long.toString(hold.toMillis())));
        if (variant.poisonEvery() > 0) {
            variables.put("STREAMFLEET_TEST_POISON_EVERY", Integer.toString(variant.poisonEvery()));
        }
        WorkerProcess process = WorkerProcess.start(dir.resolve(name + ".log"), variables,
                "worker", "--config", config.toString());
        Worker worker = new Worker(name, process, calls);
        workers.put(name, worker);
        everStarted.add(worker);
        return worker;
    }

    List<Worker> startAll(int count) throws IOException {
        List<Worker> all = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            all.add(start());
        }
        all.forEach(Worker::id);
        return all;
    }

    /** SIGTERM and a clean exit: the graceful leave. */
    void terminate(Worker worker) throws InterruptedException {
        worker.process.terminate();
        int exit = worker.process.waitFor(Duration.ofSeconds(60));
        if (exit != 0) {
            throw new AssertionError("scenario '" + scenario + "': " + worker + " exited " + exit + " after SIGTERM:\n"
                    + worker.process.output());
        }
        stoppedCleanly.add(worker.id());
        workers.remove(worker.name);
    }

    /**
     * Waits (bounded) for a worker to exit on its own and returns its exit code; it is no longer
     * one of the fleet's live workers.
     */
    int awaitExit(Worker worker, Duration atMost) throws InterruptedException {
        try {
            return worker.process.waitFor(atMost);
        } finally {
            if (!worker.process.isAlive()) {
                workers.remove(worker.name);
            }
        }
    }

    /** kill -9, noted as a crash that may explain re-delivery. */
    void kill(Worker worker) throws InterruptedException {
        String id = worker.id();
        long now = System.currentTimeMillis();
        worker.process.kill();
        worker.process.waitFor(Duration.ofSeconds(30));
        // Until the signal lands the worker goes on: the crash ends when the process is gone.
        crashes.add(new DeliveryReport.Crash("kill -9 of " + worker, Set.of(id), now, System.currentTimeMillis()));
        killed.add(id);
        workers.remove(worker.name);
    }

    /** A fault that stops every worker for a while (ZooKeeper quorum loss). */
    void noteFleetWideOutage(String what, long fromMillis, long toMillis) {
        crashes.add(new DeliveryReport.Crash(what, Set.of(), fromMillis, toMillis));
    }

    void noteCrash(String what, Worker worker, long fromMillis, long toMillis) {
        crashes.add(new DeliveryReport.Crash(what, Set.of(worker.id()), fromMillis, toMillis));
    }

    List<Worker> workers() {
        return List.copyOf(workers.values());
    }

    /** The URL of the worker's status endpoints, from its registration; waits (bounded) until it has joined. */
    String statusUrl(Worker worker) {
        String id = worker.id();
        String[] url = new String[1];
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            url[0] = reader.read(application).workers().stream().filter(w -> w.id().value().equals(id))
                    .map(w -> w.statusUrl()).filter(u -> !u.isBlank()).findFirst().orElse(null);
            return url[0] != null;
        });
        return url[0];
    }

    Optional<Worker> leader() {
        var leader = reader.read(application).leader().map(id -> id.value());
        return leader.flatMap(id -> workers.values().stream().filter(w -> w.id().equals(id)).findFirst());
    }

    /**
     * Waits until all 8 units are leased over exactly these workers, each holding some, and the
     * leases have stood still for a second: the rebalance after a join or leave has happened. How
     * many each holds is the strategy's: by count while loads are unknown or equal, by measured
     * load once they differ (calmly: at most a quarter of the units move for load in one
     * rebalance), so a worker that joins after loads were measured may start with fewer units
     * than an even count gives it (the default configuration's promise, tested by LoadBalancingIT).
     */
    void awaitBalancedOver(List<Worker> expected, Duration atMost) {
        awaitBalancedOver(expected, 8, atMost);
    }

    /** As {@link #awaitBalancedOver(List, Duration)}, for a fleet of {@code units} units (after a reshard, say). */
    void awaitBalancedOver(List<Worker> expected, int units, Duration atMost) {
        Set<String> ids = new HashSet<>();
        expected.forEach(w -> ids.add(w.id()));
        java.util.concurrent.atomic.AtomicReference<Map<String, String>> last = new java.util.concurrent.atomic.AtomicReference<>(Map.of());
        long[] since = {System.nanoTime()};
        await().atMost(atMost).pollInterval(Duration.ofMillis(100)).until(() -> {
            Map<String, String> holders = leases.holders();
            if (!holders.equals(last.get())) {
                last.set(holders);
                since[0] = System.nanoTime();
                return false;
            }
            return holders.size() == units && ids.equals(new HashSet<>(holders.values()))
                    && System.nanoTime() - since[0] >= Duration.ofSeconds(1).toNanos();
        });
    }

    /** Waits until every unit of the fleet is leased by some worker (after resharding: the open shards). */
    void awaitAllLeased(int units, Duration atMost) {
        await().atMost(atMost).pollInterval(Duration.ofMillis(100)).until(() -> leases.holders().size() == units);
    }

    /**
     * Waits until every worker's status API ({@code /api/worker}) shows each of the {@code units}
     * units READING, each by the worker that holds its lease, then starts the load: under the
     * default initial position (LATEST) what is produced before a unit's start was settled is
     * rightly skipped, so the load must not run ahead of that.
     */
    void startLoadOnceEveryUnitIsReading(int units, Duration atMost) {
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        java.util.concurrent.atomic.AtomicReference<Map<String, String>> reading =
                new java.util.concurrent.atomic.AtomicReference<>(Map.of());
        try {
            await().atMost(atMost).pollInterval(Duration.ofMillis(200)).until(() -> {
                Map<String, String> now = new java.util.HashMap<>();
                for (var info : reader.read(application).workers()) {
                    var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(info.statusUrl() + "/api/worker"))
                            .timeout(Duration.ofSeconds(2)).build();
                    JsonNode report;
                    try {
                        report = JSON.readTree(http.send(request, java.net.http.HttpResponse.BodyHandlers.ofString()).body());
                    } catch (IOException e) {
                        continue; // not listening yet: none of its units counts as reading
                    }
                    for (JsonNode unit : report.path("units")) {
                        if (unit.path("state").asText().equals("READING")) {
                            now.put(unit.path("unit").asText(), info.id().value());
                        }
                    }
                }
                reading.set(now);
                return now.size() == units && now.equals(leases.holders());
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("scenario '" + scenario + "': not every one of " + units + " units was READING"
                    + " by its lease holder within " + atMost.toSeconds() + " s; reading: " + reading.get()
                    + ", leases: " + leases.holders(), e);
        }
        load.start();
    }

    /**
     * Stops the load, waits (bounded) until everything acknowledged has been processed or
     * dead-lettered, stops every running worker cleanly (SIGTERM, all at once), and judges:
     * deliveries, the dead letters, the recorded checkpoint writes, and every processor instance's
     * callbacks.
     */
    DeliveryReport drainAndJudge() throws Exception {
        load.stop();
        Set<String> expected = new HashSet<>();
        load.produced().forEach(p -> expected.add(p.id()));
        try {
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> {
                Set<String> seen = new HashSet<>();
                lines().forEach(line -> seen.add(line.id()));
                deadLetters.ifPresent(d -> d.readToEnd(Duration.ofSeconds(30)).forEach(letter -> seen.add(letter.id())));
                return seen.containsAll(expected);
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // Judged below: the report names what is missing.
        }
        List<String> unclean = stopAllCleanly();
        List<DeliveryReport.Line> lines = lines();
        CheckpointHistory checkpoints = new CheckpointHistory().judge(checkpointWrites(), claims(), lines);
        endings = new ProcessorEndings().judge(callbacks(), stoppedCleanly);
        DeliveryReport report = new DeliveryReport(scenario, CHECKPOINT_INTERVAL.toMillis(), parallelism > 1)
                .withCheckpoints(checkpoints);
        if (deadLetters.isPresent()) {
            DeliveryReport.Load ran = load.load();
            // A quarter of the poison records the rate gives over the load's time, as the load's own floor.
            long floor = Math.max(1, ran.floor() / variant.poisonEvery());
            deadLetterReport = new DeadLetterReport(scenario, CHECKPOINT_INTERVAL.toMillis(),
                    id -> SlowJsonlProcessors.isPoison(id, variant.poisonEvery()), PROCESSOR_ATTEMPTS)
                    .judge(ran.sources(), floor, load.produced(), lines,
                            deadLetters.get().readToEnd(Duration.ofSeconds(30)), deadLetters.get().unreadable(),
                            leases.tenures(), crashes);
            report.withDeadLettered(deadLetterReport.deadLettered());
        }
        return report.judge(load.load(), load.produced(), lines, leases.tenures(), crashes)
                .include(unclean, "")
                .include(checkpoints.findings(), checkpoints.summary())
                .include(endings.findings(), endings.summary());
    }

    /** The judgement of the dead letters, after {@link #drainAndJudge()}, for a fleet with poison records. */
    DeadLetterReport deadLetterReport() {
        if (deadLetterReport == null) {
            throw new IllegalStateException("no dead letters judged: a fleet without poison records, or not drained yet");
        }
        return deadLetterReport;
    }

    /** SIGTERM to every running worker at once, then each must exit 0; what did not is returned. */
    private List<String> stopAllCleanly() throws InterruptedException {
        List<Worker> running = workers();
        running.forEach(Worker::id);
        running.forEach(worker -> worker.process.terminate());
        List<String> unclean = new ArrayList<>();
        for (Worker worker : running) {
            int exit = worker.process.waitFor(Duration.ofSeconds(60));
            if (exit == 0) {
                stoppedCleanly.add(worker.id());
            } else {
                unclean.add(worker + " exited " + exit + " after SIGTERM at the end; its output:\n" + worker.process.output());
            }
            workers.remove(worker.name);
        }
        return unclean;
    }

    /** The kills that found the killed worker with a batch in hand, after {@link #drainAndJudge}. */
    long killsWithABatchInHand() {
        if (endings == null) {
            throw new IllegalStateException("judge first: drainAndJudge() reads the callback logs");
        }
        return endings.inHandAtEnd(killed).values().stream().filter(inHand -> inHand > 0).count();
    }

    int kills() {
        return killed.size();
    }

    /** Every checkpoint write every worker of the fleet sent, as its call recorder saw it. */
    private List<CheckpointHistory.Write> checkpointWrites() throws IOException {
        List<CheckpointHistory.Write> writes = new ArrayList<>();
        for (Worker worker : everStarted) {
            for (AwsCallRecorder.Call call : worker.calls()) {
                if (call.action().equals("dynamodb:UpdateItem") && call.isCheckpoint()) {
                    writes.add(new CheckpointHistory.Write(worker.id(), call.millis(),
                            call.key().substring(call.key().indexOf('/') + 1), call.position(), call.epoch(), call.ok()));
                }
            }
        }
        return writes;
    }

    /** Every accepted claim every worker made, with where it resumed, as its call recorder saw it. */
    private List<CheckpointHistory.Claim> claims() throws IOException {
        List<CheckpointHistory.Claim> claims = new ArrayList<>();
        for (Worker worker : everStarted) {
            for (AwsCallRecorder.Call call : worker.calls()) {
                if (call.claimed()) {
                    claims.add(new CheckpointHistory.Claim(worker.id(), call.millis(),
                            call.key().substring(call.key().indexOf('/') + 1), call.resumed().equals("-") ? "" : call.resumed()));
                }
            }
        }
        return claims;
    }

    /** Every processor callback every worker recorded, a torn last line (kill -9 mid-write) left out. */
    private List<ProcessorEndings.Event> callbacks() throws IOException {
        List<ProcessorEndings.Event> events = new ArrayList<>();
        try (var files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith("callbacks-")).sorted().toList()) {
                String name = file.getFileName().toString();
                String worker = name.substring("callbacks-".length(), name.length() - ".log".length());
                for (String text : Files.readAllLines(file)) {
                    ProcessorEndings.Event event = ProcessorEndings.Event.parse(worker, text);
                    if (event != null) {
                        events.add(event);
                    }
                }
            }
        }
        return events;
    }

    /** Every line every worker of this scenario wrote, a torn last line (kill -9 mid-write) left out. */
    List<DeliveryReport.Line> lines() throws IOException {
        List<DeliveryReport.Line> lines = new ArrayList<>();
        long order = 0;
        try (var files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".jsonl")).sorted().toList()) {
                for (String text : Files.readAllLines(file)) {
                    order++;
                    if (!text.endsWith("}")) {
                        continue;
                    }
                    JsonNode node = JSON.readTree(text);
                    Instant at = Instant.parse(node.get("processingTime").asText());
                    lines.add(new DeliveryReport.Line(node.get("data").asText(), node.get("unit").asText(),
                            node.get("partitionKey").asText(), node.get("worker").asText(),
                            at.getEpochSecond() * 1_000_000 + at.getNano() / 1_000, order, node.path("position").asText()));
                }
            }
        }
        return lines;
    }

    @Override
    public void close() throws Exception {
        load.close();
        for (Worker worker : workers.values()) {
            worker.process.close();
        }
        leases.close();
        reader.close();
        deadLetters.ifPresent(DeadLetterTopic::close);
    }
}
