package dev.streamfleet.bench;

import dev.streamfleet.coordinator.internal.zk.FleetReader;
import dev.streamfleet.deploy.localstack.LocalStack;
import dev.streamfleet.deploy.localstack.LocalStackConfig;
import dev.streamfleet.it.AwsCallRecorder;
import dev.streamfleet.it.Installation;
import dev.streamfleet.it.cli.WorkerProcess;
import dev.streamfleet.it.worker.TestStreams;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * Enhanced fan-out's failover and hand-over against polling's, in the same run on the same local
 * stack: for each reader a fleet of two worker processes on a stream of 4 shards under a steady
 * load, and one worker that does not lead leaves (SIGTERM), crashes (kill -9) and freezes past its
 * session (SIGSTOP). Each time is read from the workers' own JSON lines: the processing time of
 * the last of the victim's shards to have its first record processed by the other worker, against
 * the wall clock at the signal. Writes its section of BENCHMARKS.md to the file named by
 * {@code streamfleet.bench.out} and prints it.
 */
public final class FanOutBenchmark {

    private static final int SHARDS = 4;
    private static final int WORKERS = 2;
    private static final int RECORDS_PER_BATCH = 10;
    private static final Duration BATCH_EVERY = Duration.ofMillis(100);
    private static final int KEYS = 32;
    /** The default, written out so that the bound below holds whatever the default becomes. */
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(10);
    private static final int TICK_MILLIS = 2_000;
    /** Kinesis (and the local stack) refuse a SubscribeToShard within 5 s of the last one to the shard. */
    private static final Duration TAKEOVER = Duration.ofSeconds(5);
    private static final Duration FROZEN_BOUND = SESSION_TIMEOUT.plusMillis(TICK_MILLIS).plus(TAKEOVER);
    private static final double RATIO_TARGET = 1.5;
    /**
     * Before each signal the fleet runs this long after its last rebalance, so that every
     * subscription is older than the 5 s takeover window: the steady state, not the moment after a move.
     */
    private static final Duration SETTLE = Duration.ofSeconds(8);
    private static final Duration READ_AGAIN_WITHIN = Duration.ofSeconds(60);
    private static final Duration REBALANCE_WITHIN = Duration.ofSeconds(120);
    private static final long POLL_MILLIS = 250;
    private static final List<String> JVM = List.of("-Xmx512m");
    private static final String TAKEOVER_WAIT = "(ResourceInUseException); taking it over";
    private static final Pattern JOINED = Pattern.compile("worker (\\S+) joined fleet");

    /** The two ways a worker reads Kinesis, as the configuration names them. */
    enum Reader {
        POLLING("polling"), FANOUT("fanout");

        final String option;

        Reader(String option) {
            this.option = option;
        }
    }

    /** What happens to the worker that does not lead. */
    enum Fault {
        LEAVE("graceful leave (SIGTERM of a worker that does not lead) → all its shards processed again by the other"),
        CRASH("crash (kill -9 of a worker that does not lead) → all its shards processed again"),
        FREEZE("freeze (SIGSTOP of a worker that does not lead, past its session) → all its shards processed again by"
                + " another worker");

        final String figure;

        Fault(String figure) {
            this.figure = figure;
        }
    }

    /**
     * One fault's outcome: how long until the victim's shards were all processed again, the records
     * delivered twice meanwhile, the other worker's takeover waits; or why there is no time.
     */
    private record Trial(long millis, int duplicates, long takeoverWaits, Optional<String> failure) {

        static Trial failed(String why) {
            return new Trial(-1, 0, 0, Optional.of(why));
        }
    }

    /** A reader's trials of one fault: their median, or NaN unless every trial was measured. */
    private record Trials(List<Trial> all) {

        double median() {
            if (all.isEmpty() || all.stream().anyMatch(t -> t.failure().isPresent())) {
                return Double.NaN;
            }
            return ProcessBenchmark.median(all.stream().map(Trial::millis).toList());
        }

        String text(boolean takeovers) {
            List<String> failures = all.stream().flatMap(t -> t.failure().stream()).toList();
            if (all.isEmpty() || !failures.isEmpty()) {
                return "**failed**" + (all.isEmpty() ? ": not run" : " (" + failures.size() + " of " + all.size()
                        + "): " + String.join("; ", failures));
            }
            String text = ProcessBenchmark.seconds((long) median());
            if (all.size() > 1) {
                text += " (median of " + all.size() + ": " + String.join(", ", all.stream()
                        .map(t -> ProcessBenchmark.seconds(t.millis())).toList()) + ")";
            }
            text += "; duplicates " + String.join("/", all.stream().map(t -> Integer.toString(t.duplicates())).toList());
            if (takeovers) {
                text += "; takeover waits " + String.join("/", all.stream().map(t -> Long.toString(t.takeoverWaits())).toList());
            }
            return text;
        }
    }

    private final LocalStack stack;
    private final KinesisClient kinesis;
    private final Path dir;
    private final int rounds = Integer.getInteger("streamfleet.bench.rounds", 3);
    private final Map<Fault, Map<Reader, List<Trial>>> trials = new EnumMap<>(Fault.class);
    private final BenchmarkSection out = new BenchmarkSection(
            "Enhanced fan-out against polling: failover and hand-over — `it-tests/benchmarks.sh fanout`", """
            The same fleet twice in one run on one local stack, first with `reader: polling`, then with
            `reader: fanout`: two worker processes (`streamfleet worker`, `-Xmx512m`, `STREAMFLEET_CDS=off`,
            the default configuration with the session timeout written out as its default, 10 s; `jsonl`
            processor), a Kinesis stream of 4 shards on `kinesis-local` behind the stack's SubscribeToShard
            front, checkpoints in `dynalite`, ZooKeeper standalone with its default tick of 2 s, and a steady
            load of 100 records/s (10 every 100 ms) over 32 partition keys. Each reader has a stream and an
            application (so a stream consumer) of its own. The victim is always the worker that does not
            lead; after a leave or a crash a new worker is started, and after the freeze the victim is sent
            SIGCONT and rejoins. Before each signal all 4 shards are spread over both workers (2/2, or 3/1 where
            the strategy balances measured load), every shard is being processed, and no lease has moved for
            8 s (every subscription is older than the 5 s takeover window). A time is the
            processing time, from the workers' own output, of the first record of the victim's last shard to
            be processed by another worker, against the wall clock when the benchmark sent the signal. Each reader's
            fleet goes through leave, crash and freeze %d times in turn; a figure is the median of those runs, each
            run listed, and the ratio is of the medians. Duplicates (per run) are records delivered more than once
            from the signal until 3 s after the last shard was read again; takeover waits (per run) are the other
            worker's log lines saying a subscription was refused with `ResourceInUseException` and would be taken
            over 5 s later.
            """.formatted(Integer.getInteger("streamfleet.bench.rounds", 3)), "figure", "polling", "fan-out",
            "ratio (fan-out / polling)", "target", "met?");

    private FanOutBenchmark(LocalStack stack, Path dir) {
        this.stack = stack;
        this.dir = dir;
        this.kinesis = TestStreams.client(stack.kinesis().endpoint());
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(System.getProperty("streamfleet.localstack.workdir", "target/local-stack"))
                .resolve("fanout-benchmark-" + System.currentTimeMillis());
        long began = System.nanoTime();
        LocalStackConfig servers = new LocalStackConfig(dir, 1, TICK_MILLIS, true, true, false, false, false);
        try (LocalStack stack = LocalStack.start(servers)) {
            FanOutBenchmark benchmark = new FanOutBenchmark(stack, dir);
            for (Reader reader : Reader.values()) {
                System.err.println("== " + reader.option);
                try {
                    benchmark.measure(reader);
                } catch (Exception | AssertionError e) {
                    e.printStackTrace();
                    benchmark.out.note(reader.option + ": the fleet did not run to the end (" + oneLine(e) + ").");
                }
            }
            benchmark.publish();
        }
        System.err.printf("fanout benchmark: %.1f min%n", (System.nanoTime() - began) / 60e9);
        System.exit(0);
    }

    /** One reader's fleet through the three faults, in order; a fault that fails is recorded and the next still runs. */
    private void measure(Reader reader) throws Exception {
        String stream = TestStreams.create(kinesis, "fanbench-" + reader.option, SHARDS);
        try (Fleet fleet = new Fleet(reader, stream);
             ProcessBenchmark.Load load = new ProcessBenchmark.Load(kinesis, stream, RECORDS_PER_BATCH, BATCH_EVERY, KEYS)) {
            for (int round = 1; round <= rounds; round++) {
                for (Fault fault : Fault.values()) {
                    Trial trial;
                    try {
                        trial = fault(fleet, fault);
                    } catch (Exception | AssertionError e) {
                        e.printStackTrace();
                        trial = Trial.failed(oneLine(e));
                    }
                    System.err.println(reader.option + ", round " + round + ", " + fault + ": " + trial);
                    trials.computeIfAbsent(fault, f -> new EnumMap<>(Reader.class))
                            .computeIfAbsent(reader, r -> new ArrayList<>()).add(trial);
                }
            }
            String wrongReads = fleet.readThroughWrongApi();
            if (!wrongReads.isEmpty()) {
                out.note(reader.option + ": " + wrongReads);
            }
        }
    }

    /**
     * Brings the fleet to two workers in the steady state, signals the one that does not lead, and
     * measures until the other has processed each of its shards; after a freeze, thaws the victim
     * and waits for it to rejoin.
     */
    private Trial fault(Fleet fleet, Fault fault) throws Exception {
        fleet.steady();
        String leader = fleet.leader().orElseThrow(() -> new IllegalStateException("the fleet has no leader"));
        Map<String, String> holders = fleet.holders();
        String victimId = holders.values().stream().filter(id -> !id.equals(leader)).findFirst()
                .orElseThrow(() -> new IllegalStateException("only the leader holds shards: " + holders));
        String victim = fleet.nameOf(victimId);
        Set<String> units = ProcessBenchmark.unitsOf(holders, victimId);
        WorkerProcess process = fleet.process(victim);
        int duplicatesBefore = ProcessBenchmark.duplicates(fleet.lines());
        long waitsBefore = fleet.takeoverWaits(leader);

        long signalled = System.currentTimeMillis();
        switch (fault) {
            case LEAVE -> process.terminate();
            case CRASH -> process.kill();
            case FREEZE -> process.signal("STOP");
        }
        try {
            boolean readAgain = awaitQuietly(() -> ProcessBenchmark.processedBy(fleet.lines(), units, leader, signalled).size()
                    == units.size(), READ_AGAIN_WITHIN);
            Map<String, Long> firsts = ProcessBenchmark.processedBy(fleet.lines(), units, leader, signalled);
            if (!readAgain) {
                return Trial.failed(firsts.size() + " of its " + units.size() + " shards processed again within "
                        + READ_AGAIN_WITHIN.toSeconds() + " s");
            }
            long millis = ProcessBenchmark.max(new ArrayList<>(firsts.values())) - signalled;
            Thread.sleep(3_000);
            int duplicates = ProcessBenchmark.duplicates(fleet.lines()) - duplicatesBefore;
            long waits = fleet.takeoverWaits(leader) - waitsBefore;
            if (fault == Fault.LEAVE) {
                int exit = process.waitFor(Duration.ofSeconds(30));
                if (exit != 0) {
                    return Trial.failed("it exited " + exit + " after SIGTERM");
                }
            }
            return new Trial(millis, duplicates, waits, Optional.empty());
        } finally {
            if (fault == Fault.FREEZE) {
                process.signal("CONT");
                if (!awaitQuietly(() -> Fleet.spread(fleet.holders()), REBALANCE_WITHIN)) {
                    out.note(fleet.reader.option + ": the frozen worker, sent SIGCONT, did not rejoin (hold shards again) within "
                            + REBALANCE_WITHIN.toSeconds() + " s; holders: " + fleet.holders());
                }
            } else {
                process.waitFor(Duration.ofSeconds(30));
            }
        }
    }

    private void publish() {
        for (Fault fault : Fault.values()) {
            Map<Reader, List<Trial>> row = trials.getOrDefault(fault, Map.of());
            Trials polling = new Trials(row.getOrDefault(Reader.POLLING, List.of()));
            Trials fanOut = new Trials(row.getOrDefault(Reader.FANOUT, List.of()));
            String target = "≤ " + RATIO_TARGET + "×";
            List<String> missed = new ArrayList<>();
            double ratio = fanOut.median() / polling.median();
            if (Double.isNaN(ratio)) {
                missed.add("no measurement");
            } else if (ratio > RATIO_TARGET) {
                missed.add(String.format("ratio %.2f×", ratio));
            }
            if (fault == Fault.FREEZE) {
                target += ", and every fan-out run ≤ session + tick + takeover = " + FROZEN_BOUND.toSeconds() + " s";
                long slowest = fanOut.all().stream().mapToLong(Trial::millis).max().orElse(-1);
                if (slowest > FROZEN_BOUND.toMillis()) {
                    missed.add("fan-out's slowest " + ProcessBenchmark.seconds(slowest));
                }
            }
            out.row(fault.figure, polling.text(false), fanOut.text(true), ProcessBenchmark.ratio(fanOut.median(), polling.median()),
                    target, missed.isEmpty() ? "met" : "**not met** (" + String.join("; ", missed) + ")");
        }
        out.note("""
                What the stack emulates: Kinesis is `kinesis-local`, and the stack answers `SubscribeToShard`
                itself in front of it by AWS's documented rules (`deploy/local-stack/emulators/aws-fanout.js`;
                docs/design.md, "What the local stack emulates"): a SubscribeToShard within 5 s of the last
                successful one for the same consumer and shard is refused with `ResourceInUseException`, one
                5 s or more later takes the shard over and ends the older subscription's stream; a closed
                shard's last event carries its child shards; a subscription ends after 5 minutes. Records are
                pushed when the front finds them (it polls an idle shard every 250 ms). Polling's `GetRecords`
                passes through the same front to the same `kinesis-local`. On AWS the takeover window is the
                same 5 s; the pushing, the refusal's latency and everything else's speed are the emulators'.
                """);
        out.note("""
                The bound for the freeze is ZooKeeper's: the frozen worker's session expires after the session
                timeout (10 s), on a tick boundary (up to 2 s later); then the leader reassigns its shards and
                a fan-out reader's first subscription may be refused for up to the 5 s takeover window.
                """);
        out.publish();
    }

    /** One fleet of worker processes reading one stream with one reader. */
    private final class Fleet implements AutoCloseable {
        final Reader reader;
        final String application;
        final Path output;
        final Path config;
        final Map<String, WorkerProcess> processes = new LinkedHashMap<>();
        final FleetReader zookeeper = FleetReader.connect(stack.zookeeper().endpoint(), Duration.ofSeconds(5));
        final RecordsWritten records;
        private int started;

        Fleet(Reader reader, String stream) throws IOException {
            this.reader = reader;
            this.application = "fanbench-" + reader.option + "-" + java.util.UUID.randomUUID().toString().substring(0, 8);
            this.output = Files.createDirectories(dir.resolve(application));
            this.config = output.resolve("fleet.yaml");
            this.records = new RecordsWritten(output);
            Files.writeString(config, """
                    application: %s
                    zookeeper:
                      connect: %s
                      sessionTimeout: %ds
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
                          reader: %s
                    processor:
                      type: jsonl
                      options:
                        path: %s
                    """.formatted(application, stack.zookeeper().endpoint(), SESSION_TIMEOUT.toSeconds(),
                    stack.dynamodb().endpoint(), stream, stack.kinesis().endpoint(), reader.option,
                    output.resolve("records-{worker}.jsonl")));
        }

        /**
         * Two live workers, the shards spread over both, each processing every shard it holds, and no lease
         * moved for {@link #SETTLE}: starts workers until two are alive, then waits (bounded).
         */
        void steady() throws Exception {
            while (processes.values().stream().filter(WorkerProcess::isAlive).count() < WORKERS) {
                start();
            }
            long deadline = System.nanoTime() + REBALANCE_WITHIN.toNanos();
            while (true) {
                ProcessBenchmark.await(() -> spread(holders()), REBALANCE_WITHIN, POLL_MILLIS);
                long spread = System.currentTimeMillis();
                Map<String, String> holders = holders();
                ProcessBenchmark.await(() -> holders.entrySet().stream().allMatch(held -> !ProcessBenchmark.processedBy(
                        lines(), Set.of(held.getKey()), held.getValue(), spread).isEmpty()), READ_AGAIN_WITHIN, POLL_MILLIS);
                Thread.sleep(SETTLE.toMillis());
                if (holders().equals(holders)) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the leases kept moving for " + REBALANCE_WITHIN.toSeconds() + " s: "
                            + holders());
                }
            }
        }

        /**
         * Every shard leased, over exactly two workers. How many each holds is the strategy's (by count while
         * the shards' loads are equal, by load once they differ), so 3/1 is as good as 2/2 here.
         */
        static boolean spread(Map<String, String> holders) {
            return holders.size() == SHARDS && new java.util.HashSet<>(holders.values()).size() == WORKERS;
        }

        void start() throws IOException {
            String name = "w" + (++started);
            Map<String, String> env = Map.of("STREAMFLEET_CDS", "off",
                    AwsCallRecorder.VARIABLE, calls(name).toString(),
                    "STREAMFLEET_CLASSPATH", Installation.testExtensions().toString());
            processes.put(name, WorkerProcess.start(JVM, output.resolve(name + ".log"), env, "worker", "--config",
                    config.toString()));
        }

        WorkerProcess process(String name) {
            return processes.get(name);
        }

        /** The name of the live worker that last joined under {@code id}. */
        String nameOf(String id) {
            return processes.entrySet().stream().filter(p -> p.getValue().isAlive() && id.equals(lastId(p.getValue())))
                    .map(Map.Entry::getKey).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no live worker has joined as " + id));
        }

        Optional<String> leader() {
            return zookeeper.read(application).leader().map(id -> id.value());
        }

        Map<String, String> holders() {
            Map<String, String> holders = new HashMap<>();
            zookeeper.read(application).leaseHolders().forEach((unit, worker) -> holders.put(unit.toString(), worker.value()));
            return holders;
        }

        List<ProcessBenchmark.Line> lines() {
            try {
                return records.lines();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        /** Lines in the logs of the workers that joined as {@code id} saying a subscription waits for a takeover. */
        long takeoverWaits(String id) {
            return processes.values().stream().filter(p -> id.equals(lastId(p)))
                    .mapToLong(p -> p.output().lines().filter(line -> line.contains(TAKEOVER_WAIT)).count()).sum();
        }

        /** What each worker called to read, where it is not what its reader should: empty when all is well. */
        String readThroughWrongApi() throws IOException {
            String wrong = reader == Reader.FANOUT ? "kinesis:GetRecords" : "kinesis:SubscribeToShard";
            String right = reader == Reader.FANOUT ? "kinesis:SubscribeToShard" : "kinesis:GetRecords";
            List<String> problems = new ArrayList<>();
            for (String name : processes.keySet()) {
                Set<String> actions = AwsCallRecorder.actions(calls(name));
                if (actions.contains(wrong) || !actions.contains(right)) {
                    problems.add(name + " called " + actions);
                }
            }
            return problems.isEmpty() ? "" : "workers that did not read as configured: " + String.join("; ", problems);
        }

        private Path calls(String name) {
            return output.resolve(name + "-aws-calls.txt");
        }

        @Override
        public void close() throws InterruptedException {
            for (WorkerProcess process : processes.values()) {
                if (process.isAlive()) {
                    process.terminate();
                    try {
                        process.waitFor(Duration.ofSeconds(30));
                    } catch (AssertionError e) {
                        process.close();
                    }
                }
            }
            zookeeper.close();
        }
    }

    /**
     * The records a fleet's workers wrote as JSON lines, read as they grow: each call parses only the
     * whole lines appended since the last, so that polling them several times a second costs the
     * workers' cores little. For one thread.
     */
    private static final class RecordsWritten {
        private final Path dir;
        private final Map<Path, Long> consumed = new HashMap<>();
        private final List<ProcessBenchmark.Line> lines = new ArrayList<>();

        RecordsWritten(Path dir) {
            this.dir = dir;
        }

        List<ProcessBenchmark.Line> lines() throws IOException {
            List<Path> files;
            try (var listing = Files.list(dir)) {
                files = listing.filter(f -> f.getFileName().toString().endsWith(".jsonl")).toList();
            }
            for (Path file : files) {
                long from = consumed.getOrDefault(file, 0L);
                byte[] appended;
                try (var in = Files.newInputStream(file)) {
                    in.skipNBytes(from);
                    appended = in.readAllBytes();
                }
                int whole = 0;
                for (int i = appended.length - 1; i >= 0; i--) {
                    if (appended[i] == '\n') {
                        whole = i + 1;
                        break;
                    }
                }
                for (String text : new String(appended, 0, whole, java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
                    if (text.endsWith("}")) {
                        lines.add(ProcessBenchmark.lineOf(text));
                    }
                }
                consumed.put(file, from + whole);
            }
            return java.util.Collections.unmodifiableList(lines);
        }
    }

    /** The id the worker last joined under, from its log; null before it joined. */
    private static String lastId(WorkerProcess process) {
        Matcher joined = JOINED.matcher(process.output());
        String id = null;
        while (joined.find()) {
            id = joined.group(1);
        }
        return id;
    }

    private static boolean awaitQuietly(java.util.function.BooleanSupplier condition, Duration atMost) {
        try {
            ProcessBenchmark.await(condition, atMost, POLL_MILLIS);
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    private static String oneLine(Throwable e) {
        String text = e.toString();
        int end = text.indexOf('\n');
        return end < 0 ? text : text.substring(0, end);
    }
}
