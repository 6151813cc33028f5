package dev.streamfleet.devtools;

import dev.streamfleet.coordinator.internal.zk.FleetReader;
import dev.streamfleet.coordinator.internal.zk.FleetSnapshot;
import dev.streamfleet.deploy.localstack.LocalStack;
import dev.streamfleet.deploy.localstack.LocalStackConfig;
import dev.streamfleet.worker.internal.cli.Signals;
import dev.streamfleet.worker.config.Durations;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * {@code streamfleet demo}: the local stack, a Kinesis stream and a Kafka topic, a few worker
 * processes and a steady producer, with a progress line every few seconds, until Ctrl-C or for
 * {@code --duration}. A worker that exits on its own is reported at once with its last error.
 * With {@code --duration} the demo ends with a summary and exits 0 only if every acknowledged
 * record was processed and no worker died.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Starts the local stack, a Kinesis stream and a Kafka topic, a fleet of worker processes and a"
                + " steady producer, and prints progress until Ctrl-C (or for --duration), then stops everything it started.")
final class DemoCommand implements Callable<Integer> {

    private static final String STREAM = "demo-orders";
    private static final String TOPIC = "demo-payments";
    private static final String APPLICATION = "demo";

    @Option(names = "--workers", defaultValue = "3", description = "Worker processes to start (default ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--shards", defaultValue = "4", description = "Shards of the Kinesis stream (default ${DEFAULT-VALUE}).")
    int shards;

    @Option(names = "--partitions", defaultValue = "4", description = "Partitions of the Kafka topic (default ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--rate", defaultValue = "50", description = "Records per second, half to each source (default ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--dir", description = "Keep the demo's files here (default: a new directory under java.io.tmpdir).")
    Path dir;

    @Option(names = "--duration", converter = DurationConverter.class,
            description = "Stop by itself after this long (such as 60s or 5m) and exit 0 only if every produced record"
                    + " was processed and no worker died (default: run until Ctrl-C).")
    Duration duration;

    @Override
    public Integer call() throws Exception {
        if (workers < 1 || shards < 1 || partitions < 1 || rate < 1) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--workers, --shards, --partitions and --rate must be at least 1");
        }
        Path home = dir != null ? dir
                : Path.of(System.getProperty("java.io.tmpdir"), "streamfleet-demo-" + ProcessHandle.current().pid());
        Files.createDirectories(home);
        System.out.println("streamfleet demo: starting the local stack in " + home + " ...");
        CountDownLatch stop = new CountDownLatch(1);
        // Ctrl-C or SIGTERM: the loop below stops the producer, the workers, then the stack, and exits 0.
        Signals.onTermination(stop::countDown);
        long deadline = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
        try (DemoWorkers fleet = new DemoWorkers();
             LocalStack stack = LocalStack.start(LocalStackConfig.all(home.resolve("local-stack")));
             KinesisClient kinesis = LocalResources.kinesis(stack)) {
            // The demo itself stops the producer and the workers before it closes the stack.
            stack.detachShutdownHook();
            LocalResources.createStream(kinesis, new LocalResources.Named(STREAM, shards));
            LocalResources.createTopic(stack, new LocalResources.Named(TOPIC, partitions));
            Path config = writeConfig(home, stack, shards, partitions);
            for (int i = 1; i <= workers; i++) {
                fleet.start(home, config, i);
            }
            DemoProducer producer = new DemoProducer(kinesis, STREAM, stack.kafka().endpoint(), TOPIC, rate);
            Thread producing = new Thread(producer, "demo-producer");
            producing.start();
            System.out.println();
            System.out.println("fleet '" + APPLICATION + "': " + workers + " workers reading Kinesis stream " + STREAM + " ("
                    + shards + " shards) and Kafka topic " + TOPIC + " (" + partitions + " partitions), " + rate
                    + " records/s");
            System.out.println("records land in " + home + "/records-<worker>.jsonl; worker logs in " + home + "/worker-<n>.log");
            System.out.println("status page: " + statusPage(stack, fleet));
            System.out.println("start another worker in a second terminal and watch the units move:");
            System.out.println("  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1 "
                    + String.join(" ", DemoWorkers.launcher()) + " worker --config " + config);
            System.out.println(duration == null ? "press Ctrl-C to stop everything"
                    : "stopping by itself after " + Durations.format(duration) + " (Ctrl-C stops it sooner)");
            System.out.println();
            try (FleetReader reader = FleetReader.connect(stack.zookeeper().endpoint(), Duration.ofSeconds(10))) {
                long nextProgress = System.nanoTime() + PROGRESS.toNanos();
                while (!stop.await(1, TimeUnit.SECONDS) && System.nanoTime() < deadline) {
                    for (DemoWorkers.Death death : fleet.newDeaths()) {
                        System.out.println(death);
                    }
                    if (duration != null && fleet.deaths() > 0) {
                        break;
                    }
                    if (System.nanoTime() >= nextProgress) {
                        nextProgress += PROGRESS.toNanos();
                        System.out.println(progress(reader, home, producer.acknowledged().size(), fleet));
                    }
                }
            }
            System.out.println("stopping: the producer, then the workers (handing units over), then the local stack ...");
            producer.stop();
            producing.join(10_000);
            Summary summary = duration == null || fleet.deaths() > 0 ? null : awaitProcessed(home, producer, fleet);
            List<String> unclean = fleet.stop();
            unclean.forEach(System.out::println);
            if (summary == null) {
                return duration == null ? 0 : 1;
            }
            System.out.println(summary.describe(producer, fleet, unclean));
            return summary.complete() && producer.failedCount() == 0 && producer.error() == null && unclean.isEmpty()
                    && fleet.deaths() == 0 ? 0 : 1;
        }
    }

    private static final Duration PROGRESS = Duration.ofSeconds(5);
    private static final Duration DRAIN = Duration.ofSeconds(60);

    /** What the demo found at its end: produced (acknowledged) ids against those in the workers' output. */
    private record Summary(Set<Long> produced, Set<Long> processed, long lines) {

        Set<Long> missing() {
            Set<Long> missing = new java.util.TreeSet<>(produced);
            missing.removeAll(processed);
            return missing;
        }

        boolean complete() {
            return missing().isEmpty();
        }

        String describe(DemoProducer producer, DemoWorkers fleet, List<String> unclean) {
            Set<Long> missing = missing();
            String verdict = missing.isEmpty() && producer.failedCount() == 0 && producer.error() == null
                    && unclean.isEmpty() && fleet.deaths() == 0 ? "ok" : "FAILED";
            return String.format("summary: %s: produced %d, processed %d (%d missing%s), delivered again %d,"
                            + " producer failures %d%s, workers %d started, %d died",
                    verdict, produced.size(), produced.size() - missing.size(), missing.size(),
                    missing.isEmpty() ? "" : ", first " + missing.iterator().next(), lines - processed.size(),
                    producer.failedCount(), producer.error() == null ? "" : " (" + producer.error() + ")",
                    fleet.started(), fleet.deaths());
        }
    }

    /** Waits, bounded, until every acknowledged record is in the workers' output. */
    private static Summary awaitProcessed(Path home, DemoProducer producer, DemoWorkers fleet) throws InterruptedException {
        Set<Long> produced = producer.acknowledged();
        long deadline = System.nanoTime() + DRAIN.toNanos();
        while (true) {
            Output output = output(home);
            Summary summary = new Summary(produced, output.ids(), output.lines());
            if (summary.complete() || System.nanoTime() > deadline || fleet.alive() == 0) {
                return summary;
            }
            Thread.sleep(500);
        }
    }

    private static Path writeConfig(Path home, LocalStack stack, int shards, int partitions) throws IOException {
        Path config = home.resolve("fleet.yaml");
        Files.writeString(config, LocalResources.fleetConfig(APPLICATION, stack,
                List.of(new LocalResources.Named(STREAM, shards)), List.of(new LocalResources.Named(TOPIC, partitions)),
                home, "2s"));
        return config;
    }

    /** The leader's page, once a leader is elected (bounded wait). */
    private static String statusPage(LocalStack stack, DemoWorkers fleet) throws InterruptedException {
        try (FleetReader reader = FleetReader.connect(stack.zookeeper().endpoint(), Duration.ofSeconds(10))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline && fleet.alive() > 0) {
                FleetSnapshot snapshot = reader.read(APPLICATION);
                var url = snapshot.leader().flatMap(id -> snapshot.workers().stream().filter(w -> w.id().equals(id))
                        .map(w -> w.statusUrl()).findFirst());
                if (url.isPresent()) {
                    return url.get() + "/  (any worker's URL redirects there)";
                }
                Thread.sleep(200);
            }
        }
        return fleet.alive() == 0 ? "(none: every worker exited; see below)" : "(no leader within 60 s; see the worker logs)";
    }

    private static String progress(FleetReader reader, Path home, long produced, DemoWorkers fleet) {
        FleetSnapshot snapshot = reader.read(APPLICATION);
        long processed = output(home).ids().size();
        return String.format("produced %d, processed %d, max lag %s, workers %d (%d started here, %d alive), leader %s,"
                        + " generation %d, units leased %d",
                produced, processed, maxLag(snapshot), snapshot.workers().size(), fleet.started(), fleet.alive(),
                snapshot.leader().map(Object::toString).orElse("none"), snapshot.generation(),
                snapshot.leaseHolders().size());
    }

    /** The largest lag of any unit, from the leader's /api/status: milliseconds behind (Kinesis) or records (Kafka). */
    private static String maxLag(FleetSnapshot snapshot) {
        var url = snapshot.leader().flatMap(id -> snapshot.workers().stream().filter(w -> w.id().equals(id))
                .map(w -> w.statusUrl()).filter(u -> !u.isBlank()).findFirst());
        if (url.isEmpty()) {
            return "?";
        }
        try {
            java.net.http.HttpResponse<String> response = Http.CLIENT.send(java.net.http.HttpRequest
                    .newBuilder(java.net.URI.create(url.get() + "/api/status")).timeout(Duration.ofSeconds(2)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            long millis = 0;
            long records = 0;
            for (var unit : Http.JSON.readTree(response.body()).path("units")) {
                millis = Math.max(millis, unit.path("millisBehindLatest").asLong(0));
                records = Math.max(records, unit.path("offsetLag").asLong(0));
            }
            return millis + " ms / " + records + " records";
        } catch (java.io.IOException e) {
            return "?";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }

    /**
     * Made when the demo first asks a worker for its status, not when the command line is built: every
     * command of the installation builds this command's model, and an HTTP client costs a third of a second.
     */
    private static final class Http {
        static final java.net.http.HttpClient CLIENT = java.net.http.HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(2)).build();
        static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    }

    /** What the workers wrote: the distinct record ids, and how many lines (a re-delivered record is one more line). */
    private record Output(Set<Long> ids, long lines) {
    }

    private static Output output(Path home) {
        Set<Long> ids = new HashSet<>();
        long lines = 0;
        try (Stream<Path> files = Files.list(home)) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith("records-")).toList()) {
                for (String line : Files.readAllLines(file)) {
                    int at = line.indexOf("\\\"id\\\":");
                    if (at >= 0) {
                        int end = line.indexOf(',', at);
                        ids.add(Long.parseLong(line.substring(at + 7, end < 0 ? line.length() : end)));
                        lines++;
                    }
                }
            }
        } catch (IOException | NumberFormatException e) {
            // a file being appended to: the next look counts it
        }
        return new Output(ids, lines);
    }

    /** Reads --duration the way the configuration reads durations. */
    static final class DurationConverter implements picocli.CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            Duration parsed = Durations.parse(value);
            if (parsed.isZero() || parsed.isNegative()) {
                throw new picocli.CommandLine.TypeConversionException("expected a positive duration, got '" + value + "'");
            }
            return parsed;
        }
    }
}
