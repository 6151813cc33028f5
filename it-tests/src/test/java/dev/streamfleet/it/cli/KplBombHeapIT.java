package dev.streamfleet.it.cli;

import dev.streamfleet.coordinator.internal.zk.FleetReader;
import dev.streamfleet.deploy.localstack.LocalStack;
import dev.streamfleet.it.Installation;
import dev.streamfleet.it.LocalStackExtension;
import dev.streamfleet.it.worker.TestStreams;
import dev.streamfleet.worker.Parallelism;
import dev.streamfleet.worker.StreamRecord;
import dev.streamfleet.worker.internal.kinesis.KplAggregates;
import dev.streamfleet.worker.internal.kinesis.KplAggregation;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A worker process of the archive under a KPL bomb behind a stuck key (issue 24, item 10): a
 * backlog of 1 MB aggregates of one-byte user records, 1.4 million of them, one key of which the
 * processor never finishes. Every record finished behind that key's first one stays in the unit's
 * tracker, so without the bounds the heap fills until the JVM exits; with them, reading pauses and
 * the unit turns STALLED naming the key, and the heap stays within what the bounds allow. The
 * heap is measured from outside, after a full collection ({@link LiveHeap}).
 */
class KplBombHeapIT {

    @RegisterExtension
    static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withZooKeeper(1).withKinesis().withDynamoDb());

    private static final int AGGREGATES = 10;
    /** 7 bytes each in the aggregate (a one-byte datum and a key index): 980 KB per aggregate, under Kinesis's 1 MiB. */
    private static final int USER_RECORDS_PER_AGGREGATE = 140_000;
    /** Keys beside the stuck one, {@code k1} … {@code k64}; every 65th user record is the stuck key's. */
    private static final int OTHER_KEYS = 64;
    private static final int PARALLELISM = 16;
    /**
     * Kinesis records per GetRecords ({@code sources[].kinesis.limit}): kinesis-local takes longer
     * than the worker's 10 s socket timeout to answer a read of 5 MB or more, so a read is 2 MB here.
     */
    private static final int READ_LIMIT = 2;
    private static final long READ_BYTES = READ_LIMIT * 1024L * 1024;
    /** The most user records one fetch of the polling reader hands out ({@code KinesisShardSource.USER_RECORDS_PER_FETCH}). */
    private static final int SLICE = 10_000;
    /** Live heap a tracker entry costs: the entry (32 bytes), the position it keeps (24) and its slot in the ring. */
    private static final int TRACKER_ENTRY_BYTES = 64;
    /**
     * The worker's own objects that a busy unit adds to an idle worker's (classes loaded, SDK and
     * metrics objects): about 0.5 MiB measured.
     */
    private static final long BUSY_WORKER_BYTES = 2L * 1024 * 1024;
    /** The worker's heap: an idle worker keeps 12–13 MiB alive; the tracker of the unbounded run alone needs 70. */
    private static final String MAX_HEAP = "-Xmx64m";
    private static final String TRACKER_ENTRY = "dev.streamfleet.worker.internal.parallel.ProgressTracker$Entry";

    private static KinesisClient kinesis;
    private static Path dir;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void connect() throws IOException {
        // kinesis-local takes seconds over a PutRecords of 2 MB: longer than the SDK's default read timeout.
        kinesis = KinesisClient.builder().endpointOverride(URI.create(SERVERS.stack().kinesis().endpoint()))
                .region(Region.of(LocalStack.REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
                .httpClientBuilder(UrlConnectionHttpClient.builder().socketTimeout(Duration.ofSeconds(60)))
                .build();
        dir = Files.createDirectories(SERVERS.stack().workDir().resolve("kpl-bomb"));
    }

    @AfterAll
    static void disconnect() {
        kinesis.close();
    }

    /** {@code processing.maxInFlight} and {@code .maxInFlightBytes} of one run. */
    private record Bounds(int maxInFlight, long maxInFlightBytes) {

        long maxSpan() {
            return (long) maxInFlight * Parallelism.SPAN_PER_IN_FLIGHT;
        }

        /**
         * What the bounds let a unit keep beyond an idle worker's heap: the records in flight (up to
         * either bound, as the byte bound counts them, and one slice past it), the tracker's entries (up
         * to the span, and one slice past it), the Kinesis records of one read waiting to be taken, and
         * the worker's own objects once it is busy.
         */
        long allowedGrowth() {
            long recordBytes = 1 + ("k" + OTHER_KEYS).length() + Parallelism.RECORD_OVERHEAD;
            long inFlight = Math.min(maxInFlightBytes, maxInFlight * recordBytes) + SLICE * recordBytes;
            long span = (maxSpan() + SLICE) * TRACKER_ENTRY_BYTES;
            return inFlight + span + READ_BYTES + BUSY_WORKER_BYTES;
        }
    }

    /** One worker process of the archive on a fresh one-shard stream, reading it with a stuck key. */
    private record Run(WorkerProcess worker, String statusUrl, String stream, String unit, LiveHeap idle, String name) {
    }

    @Test
    void aKplBombBehindAStuckKeyPausesReadingAndTheHeapStaysWithinTheConfiguredBounds() throws Exception {
        Bounds bounds = new Bounds(1_000, 1024 * 1024);
        Run run = start(bounds);
        try (WorkerProcess worker = run.worker()) {
            long putStarted = System.nanoTime();
            putBomb(run.stream());
            System.out.printf("KPL bomb: %,d user records in %d aggregates put in %.1f s%n",
                    AGGREGATES * USER_RECORDS_PER_AGGREGATE, AGGREGATES, (System.nanoTime() - putStarted) / 1e9);

            await().atMost(Duration.ofSeconds(60)).until(() -> !worker.isAlive()
                    || get(run.statusUrl() + "/health").contains("key '" + StuckKeyProcessor.STUCK_KEY + "'"));
            assertThat(worker.isAlive()).as("the worker is alive; its output:%n%s", worker.output()).isTrue();
            JsonNode stalled = new ObjectMapper().readTree(get(run.statusUrl() + "/health")).path("stalled");
            assertThat(stalled).hasSize(1);
            assertThat(stalled.get(0).path("unit").asText()).isEqualTo(run.unit());
            assertThat(stalled.get(0).path("reason").asText()).startsWith("key 'stuck' holds the watermark at the start: ")
                    .contains("reading is paused at " + bounds.maxSpan() + " (10 x processing.maxInFlight)");

            // Held: nothing more is read or processed, and the worker stays up with what it holds.
            long processed = unitGauge(run, "streamfleet_unit_records_total");
            List<LiveHeap> held = new ArrayList<>();
            await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(2))
                    .until(() -> {
                        held.add(LiveHeap.of(worker.pid(), dir.resolve(run.name() + "-held-" + held.size() + ".histogram")));
                        return worker.isAlive() && unitGauge(run, "streamfleet_unit_records_total") == processed;
                    });
            LiveHeap most = held.stream().max(Comparator.comparingLong(LiveHeap::bytes)).orElseThrow();
            long growth = most.bytes() - run.idle().bytes();
            System.out.printf("bounded (maxInFlight %,d, maxInFlightBytes %,d, span %,d, %s): %,d records of other keys"
                            + " processed; live heap idle %s, held %s (growth %s, allowed %s); %,d records in flight,"
                            + " %,d tracker entries; %d samples%n", bounds.maxInFlight(), bounds.maxInFlightBytes(),
                    bounds.maxSpan(), MAX_HEAP, processed, LiveHeap.mib(run.idle().bytes()), LiveHeap.mib(most.bytes()),
                    LiveHeap.mib(growth), LiveHeap.mib(bounds.allowedGrowth()), most.instancesOf(StreamRecord.class),
                    most.instancesOf(TRACKER_ENTRY), held.size());

            assertThat(processed).as("records of the other keys processed until the span bound").isGreaterThan(bounds.maxSpan() / 2);
            assertThat(most.instancesOf(TRACKER_ENTRY)).as("tracker entries: the span bound and one slice")
                    .isBetween(bounds.maxSpan(), bounds.maxSpan() + SLICE);
            assertThat(most.instancesOf(StreamRecord.class)).as("records alive: the in-flight bound and one slice")
                    .isLessThanOrEqualTo(bounds.maxInFlight() + SLICE);
            assertThat(growth).as("live heap beyond the idle worker's, against what the bounds allow (bytes)")
                    .isLessThanOrEqualTo(bounds.allowedGrowth());
            // It cannot hand a unit over whose batch never returns: stop it the hard way.
            worker.kill();
        }
    }

    @Test
    void withTheBoundsAtTheirLargestTheSameBombRunsTheWorkerOutOfMemory() throws Exception {
        // The largest values the configuration takes: 100,000 records in flight, so a span of a million.
        Bounds bounds = new Bounds(100_000, Integer.MAX_VALUE);
        Run run = start(bounds);
        try (WorkerProcess worker = run.worker()) {
            long putStarted = System.nanoTime();
            CompletableFuture<Void> put = CompletableFuture.runAsync(() -> putBomb(run.stream()));
            // What the worker had done when it was last seen, for the record.
            long[] seen = {0, 0};
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> {
                if (!worker.isAlive()) {
                    return true;
                }
                try {
                    seen[0] = series(run, "streamfleet_unit_records_total").orElse(seen[0]);
                    seen[1] = series(run, "streamfleet_unit_finished_beyond_watermark").orElse(seen[1]);
                } catch (IOException e) {
                    // Going down.
                }
                return false;
            });
            int exit = worker.waitFor(Duration.ofSeconds(10));
            System.out.printf("unbounded (maxInFlight %,d, maxInFlightBytes %,d, span %,d, %s): exit code %d %.1f s after"
                            + " the first put, last seen with %,d records processed, %,d finished beyond the watermark;"
                            + " %s%n", bounds.maxInFlight(), bounds.maxInFlightBytes(), bounds.maxSpan(), MAX_HEAP, exit,
                    (System.nanoTime() - putStarted) / 1e9, seen[0], seen[1],
                    worker.output().lines().filter(l -> l.contains("OutOfMemoryError")).findFirst()
                            .orElse("no OutOfMemoryError in its output"));
            put.get(60, TimeUnit.SECONDS);
            assertThat(exit).as("ExitOnOutOfMemoryError's exit code; output:%n%s", worker.output()).isEqualTo(3);
            assertThat(worker.output()).contains("Terminating due to java.lang.OutOfMemoryError: Java heap space");
        }
    }

    /** Starts a worker with these bounds, waits until its unit reads the empty stream, and measures its live heap. */
    private static Run start(Bounds bounds) throws Exception {
        String stream = TestStreams.create(kinesis, "kpl-bomb", 1);
        String name = "heap-" + UUID.randomUUID().toString().substring(0, 8);
        String unit = "kinesis/" + stream + "/shardId-000000000000";
        WorkerProcess worker = WorkerProcess.start(List.of(MAX_HEAP, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
                dir.resolve(name + "-worker.log"), Map.of("STREAMFLEET_CLASSPATH", Installation.testExtensions().toString(),
                        // No child JVM building the class archive beside the worker on the machine's two cores.
                        "STREAMFLEET_CDS", "off"),
                "worker", "--config", config(name, stream, bounds).toString());
        try (FleetReader reader = FleetReader.connect(SERVERS.stack().zookeeper().endpoint(), Duration.ofSeconds(5))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> !reader.read(name).workers().isEmpty());
            String statusUrl = reader.read(name).workers().get(0).statusUrl();
            await().atMost(Duration.ofSeconds(30)).until(() -> get(statusUrl + "/api/worker").contains(unit));
            LiveHeap idle = LiveHeap.of(worker.pid(), dir.resolve(name + "-idle.histogram"));
            return new Run(worker, statusUrl, stream, unit, idle, name);
        } catch (Exception | Error e) {
            worker.close();
            throw e;
        }
    }

    /** The stream's backlog: 1 MB aggregates of one-byte user records, the stuck key's first, two per request. */
    private static void putBomb(String stream) {
        for (int a = 0; a < AGGREGATES; a += 2) {
            List<PutRecordsRequestEntry> entries = new ArrayList<>();
            for (int b = a; b < Math.min(AGGREGATES, a + 2); b++) {
                List<KplAggregation.UserRecord> users = new ArrayList<>(USER_RECORDS_PER_AGGREGATE);
                for (int i = 0; i < USER_RECORDS_PER_AGGREGATE; i++) {
                    int key = i % (OTHER_KEYS + 1);
                    users.add(new KplAggregation.UserRecord(key == 0 ? StuckKeyProcessor.STUCK_KEY : "k" + key,
                            new byte[] {(byte) i}));
                }
                entries.add(PutRecordsRequestEntry.builder().partitionKey("aggregate-" + b)
                        .data(SdkBytes.fromByteArrayUnsafe(KplAggregates.aggregate(users))).build());
            }
            assertThat(kinesis.putRecords(r -> r.streamName(stream).records(entries)).failedRecordCount())
                    .as("aggregates not put").isZero();
        }
    }

    private static Path config(String application, String stream, Bounds bounds) throws IOException {
        String yaml = """
                application: %s
                zookeeper:
                  connect: %s
                checkpoints:
                  table: heap-checkpoints
                  region: us-east-1
                  endpoint: %s
                sources:
                  - kinesis:
                      stream: %s
                      region: us-east-1
                      endpoint: %s
                      initialPosition: TRIM_HORIZON
                      limit: %d
                processor:
                  type: %s
                processing:
                  parallelism: %d
                  stallAfter: 3s
                  maxInFlight: %d
                  maxInFlightBytes: %d
                """.formatted(application, SERVERS.stack().zookeeper().endpoint(), SERVERS.stack().dynamodb().endpoint(),
                stream, SERVERS.stack().kinesis().endpoint(), READ_LIMIT, StuckKeyProcessor.class.getName(), PARALLELISM,
                bounds.maxInFlight(), bounds.maxInFlightBytes());
        Path file = dir.resolve(application + ".yaml");
        Files.writeString(file, yaml);
        return file;
    }

    /** The value of the unit's series {@code name} on the worker's {@code /metrics}. */
    private static long unitGauge(Run run, String name) throws Exception {
        return series(run, name).orElseThrow(() -> new AssertionError(name + " of " + run.unit() + " is not on /metrics"));
    }

    private static OptionalLong series(Run run, String name) throws Exception {
        Matcher matcher = Pattern.compile("(?m)^" + name + "\\{[^}]*stream=\"" + Pattern.quote(run.stream()) + "\"[^}]*} (\\S+)$")
                .matcher(get(run.statusUrl() + "/metrics"));
        return matcher.find() ? OptionalLong.of((long) Double.parseDouble(matcher.group(1))) : OptionalLong.empty();
    }

    private static String get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
