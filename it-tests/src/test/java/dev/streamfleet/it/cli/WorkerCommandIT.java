package dev.streamfleet.it.cli;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.internal.dynamodb.DynamoDbCheckpointConfig;
import dev.streamfleet.checkpoint.internal.dynamodb.DynamoDbCheckpointTable;
import dev.streamfleet.core.PositionCodec;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.it.LocalStackExtension;
import dev.streamfleet.it.worker.TestStreams;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.streamfleet.it.cli.JsonlFiles.dataOf;
import static dev.streamfleet.it.cli.JsonlFiles.ids;
import static dev.streamfleet.it.cli.JsonlFiles.lines;
import static dev.streamfleet.it.cli.JsonlFiles.range;
import static org.awaitility.Awaitility.await;

/** {@code streamfleet worker} as separate JVM processes against the local stack. */
class WorkerCommandIT {

    @RegisterExtension
    static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withZooKeeper(1).withKinesis().withDynamoDb());

    private static final Duration EXIT = Duration.ofSeconds(60);
    private static KinesisClient kinesis;
    private static Path dir;

    @BeforeAll
    static void connect() throws IOException {
        kinesis = TestStreams.client(SERVERS.stack().kinesis().endpoint());
        dir = Files.createDirectories(SERVERS.stack().workDir().resolve("cli"));
    }

    @AfterAll
    static void disconnect() {
        kinesis.close();
    }

    private static Path config(String name, String zookeeper, String stream, Path output) throws IOException {
        String yaml = """
                application: %s
                zookeeper:
                  connect: %s
                  sessionTimeout: 4s
                checkpoints:
                  table: cli-checkpoints
                  region: us-east-1
                  endpoint: %s
                  interval: 1s
                sources:
                  - kinesis:
                      stream: %s
                      region: us-east-1
                      endpoint: %s
                      initialPosition: TRIM_HORIZON
                processor:
                  type: jsonl
                  options:
                    path: %s
                """.formatted(name, zookeeper, SERVERS.stack().dynamodb().endpoint(), stream,
                SERVERS.stack().kinesis().endpoint(), output);
        Path file = dir.resolve(name + "-" + UUID.randomUUID().toString().substring(0, 6) + ".yaml");
        Files.writeString(file, yaml);
        return file;
    }

    private static String application() {
        return "cli-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void unknownKeyExitsTwoWithOneLineNamingIt() throws Exception {
        Path file = config(application(), SERVERS.stack().zookeeper().endpoint(), "any", dir.resolve("x.jsonl"));
        Files.writeString(file, Files.readString(file).replace("sessionTimeout: 4s", "sessionTimout: 4s"));

        try (WorkerProcess worker = WorkerProcess.start(dir.resolve("unknown-key.log"), Map.of(), "worker", "--config",
                file.toString())) {
            assertThat(worker.waitFor(EXIT)).isEqualTo(2);
            assertThat(worker.messages()).containsExactly(
                    "streamfleet: unknown key 'zookeeper.sessionTimout' (allowed here: auth, connect, sessionTimeout)");
        }
    }

    @Test
    void unreachableZooKeeperExitsOneWithOneLine() throws Exception {
        String stream = TestStreams.create(kinesis, "cli", 1);
        Path file = config(application(), "127.0.0.1:1", stream, dir.resolve("x.jsonl"));

        try (WorkerProcess worker = WorkerProcess.start(dir.resolve("unreachable.log"), Map.of(), "worker", "--config",
                file.toString())) {
            assertThat(worker.waitFor(EXIT)).isEqualTo(1);
            assertThat(worker.messages()).containsExactly(
                    "streamfleet: ZooKeeper at 127.0.0.1:1 is unreachable (no connection within 4000 ms)");
        }
    }

    @Test
    void missingStreamExitsOneWithOneLine() throws Exception {
        Path file = config(application(), SERVERS.stack().zookeeper().endpoint(), "no-such-stream", dir.resolve("x.jsonl"));

        try (WorkerProcess worker = WorkerProcess.start(dir.resolve("missing-stream.log"), Map.of(), "worker", "--config",
                file.toString())) {
            assertThat(worker.waitFor(EXIT)).isEqualTo(1);
            assertThat(worker.messages()).containsExactly("streamfleet: Kinesis stream no-such-stream does not exist");
        }
    }

    @Test
    void aWorkerWithoutAClassArchiveBuildsItOnceSoLaterStartsDoNotStayColdAndAnUnusableOneIsReplaced() throws Exception {
        String stream = TestStreams.create(kinesis, "cds", 1);
        String application = application();
        Path out = dir.resolve(application + ".jsonl");
        Path file = config(application, SERVERS.stack().zookeeper().endpoint(), stream, out);
        Path archives = Files.createDirectories(dir.resolve(application + "-cds"));
        Map<String, String> env = Map.of("STREAMFLEET_CDS_DIR", archives.toString());
        TestStreams.put(kinesis, stream, 0, 10, 1);

        Path archive;
        try (WorkerProcess first = WorkerProcess.start(dir.resolve(application + "-first.log"), env, "worker", "--config",
                file.toString())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> ids(out).containsAll(range(0, 10)));
            await().atMost(Duration.ofSeconds(90)).until(() -> first.output().contains("class-data sharing: built "));
            assertThat(first.output()).contains("class-data sharing: no archive for this Java yet");
            first.terminate();
            assertThat(first.waitFor(Duration.ofSeconds(30))).isZero();
        }
        try (var files = Files.list(archives)) {
            List<String> names = files.map(f -> f.getFileName().toString()).filter(n -> !n.endsWith(".lock")).toList();
            assertThat(names).as("one archive and no class list or partial archive left behind").hasSize(1)
                    .allMatch(name -> name.matches("worker-\\d+\\.jsa"));
            archive = archives.resolve(names.get(0));
        }

        TestStreams.put(kinesis, stream, 10, 20, 1);
        try (WorkerProcess second = WorkerProcess.start(dir.resolve(application + "-second.log"), env, "worker", "--config",
                file.toString())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> ids(out).containsAll(range(0, 20)));
            assertThat(second.output()).contains("class-data sharing: classes come from " + archive)
                    .doesNotContain("class-data sharing: no archive");
            second.terminate();
            assertThat(second.waitFor(Duration.ofSeconds(30))).isZero();
        }

        // An archive this JVM cannot map (here: not an archive at all) must not silently cost every start.
        Files.delete(archive);
        Files.writeString(archive, "not a class-data archive");
        TestStreams.put(kinesis, stream, 20, 30, 1);
        try (WorkerProcess third = WorkerProcess.start(dir.resolve(application + "-third.log"), env, "worker", "--config",
                file.toString())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> ids(out).containsAll(range(0, 30)));
            assertThat(third.output()).contains("class-data sharing: the JVM could not use " + archive);
            assertThat(third.messages()).as("nothing from the JVM on the terminal").isEmpty();
            assertThat(archive).doesNotExist();
            third.terminate();
            assertThat(third.waitFor(Duration.ofSeconds(30))).isZero();
        }
    }

    @Test
    void anUnknownClassSharingSettingExitsTwoWithOneLineBeforeStartingJava() throws Exception {
        try (WorkerProcess worker = WorkerProcess.start(dir.resolve("cds-setting.log"), Map.of("STREAMFLEET_CDS", "yes"),
                "worker", "--config", "fleet.yaml")) {
            assertThat(worker.waitFor(EXIT)).isEqualTo(2);
            assertThat(worker.messages()).containsExactly("streamfleet: STREAMFLEET_CDS is 'yes'; it takes auto or off");
        }
    }

    @Test
    void anExtensionDirectoryThatIsNoDirectoryExitsTwoWithOneLineInsteadOfAClassNotFoundLater() throws Exception {
        Path missing = dir.resolve("no-such-ext");
        try (WorkerProcess worker = WorkerProcess.start(dir.resolve("ext-dir.log"), Map.of("STREAMFLEET_EXT_DIR",
                missing.toString()), "worker", "--config", "fleet.yaml")) {
            assertThat(worker.waitFor(EXIT)).isEqualTo(2);
            assertThat(worker.messages()).containsExactly("streamfleet: STREAMFLEET_EXT_DIR=" + missing
                    + " is not a directory; it names where your processor's jars are");
        }
    }

    /**
     * How long a worker may take to exit once its units are handed over. The target is 1 s
     * (measured in BENCHMARKS.md); this bound leaves room for a loaded 2-core CI machine, and a
     * stop path that waits out a 5 s timeout still fails it.
     */
    private static final double STOP_AFTER_HAND_OVER_SECONDS = 2.5;

    @Test
    void sigtermHandsUnitsOverWithZeroDuplicatesAndExitsZero() throws Exception {
        String stream = TestStreams.create(kinesis, "handoff", 4);
        String application = application();
        Path outA = dir.resolve(application + "-a.jsonl");
        Path outB = dir.resolve(application + "-b.jsonl");
        String zookeeper = SERVERS.stack().zookeeper().endpoint();
        TestStreams.put(kinesis, stream, 0, 200, 20);

        try (WorkerProcess a = WorkerProcess.start(dir.resolve(application + "-a.log"), Map.of(), "worker", "--config",
                config(application, zookeeper, stream, outA).toString());
             WorkerProcess b = WorkerProcess.start(dir.resolve(application + "-b.log"), Map.of(), "worker", "--config",
                     config(application, zookeeper, stream, outB).toString())) {
            // Both workers hold shards (the second may join after the first read everything so far).
            try (dev.streamfleet.coordinator.internal.zk.FleetReader reader = dev.streamfleet.coordinator.internal.zk.FleetReader.connect(
                    zookeeper, Duration.ofSeconds(5))) {
                await().atMost(Duration.ofSeconds(90)).until(() -> {
                    var snapshot = reader.read(application);
                    return snapshot.leaseHolders().size() == 4
                            && new HashSet<>(snapshot.leaseHolders().values()).size() == 2;
                });
            }
            await().atMost(Duration.ofSeconds(90)).until(() -> ids(outA, outB).containsAll(range(0, 200)));

            // The hand-over is done when the other worker holds every lease; the process should be gone soon after.
            long handedOverNanos;
            try (dev.streamfleet.coordinator.internal.zk.FleetReader reader = dev.streamfleet.coordinator.internal.zk.FleetReader.connect(
                    zookeeper, Duration.ofSeconds(5))) {
                long signalled = System.nanoTime();
                a.terminate();
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
                    var holders = reader.read(application).leaseHolders();
                    return holders.size() == 4 && new HashSet<>(holders.values()).size() == 1;
                });
                handedOverNanos = System.nanoTime();
                assertThat(a.waitFor(Duration.ofSeconds(30))).as("exit code after SIGTERM; output:%n%s", a.output())
                        .isZero();
                long exitedNanos = System.nanoTime();
                double handOver = (handedOverNanos - signalled) / 1e9;
                double exitAfter = Math.max(0, exitedNanos - handedOverNanos) / 1e9;
                System.out.printf("SIGTERM: units held by the other worker after %.2f s, process exited %.2f s later%n",
                        handOver, exitAfter);
                // Rolling deploys wait for the process, not for the lease: it must not linger after handing over.
                assertThat(exitAfter).as("seconds from the hand-over to the exit; output:%n%s", a.output())
                        .isLessThan(STOP_AFTER_HAND_OVER_SECONDS);
            }
            TestStreams.put(kinesis, stream, 200, 400, 20);
            await().atMost(Duration.ofSeconds(90)).until(() -> ids(outA, outB).containsAll(range(0, 400)));
            b.terminate();
            assertThat(b.waitFor(Duration.ofSeconds(30))).isZero();
        }

        List<String> all = new ArrayList<>();
        all.addAll(dataOf(outA));
        all.addAll(dataOf(outB));
        assertThat(all).as("every record exactly once across a SIGTERM handover").hasSize(400).doesNotHaveDuplicates();
    }

    @Test
    void resetOnARunningFleetRestartsTheUnitFromTheNewPositionAndStatusShowsIt() throws Exception {
        String stream = TestStreams.create(kinesis, "reset", 1);
        String application = application();
        Path out = dir.resolve(application + ".jsonl");
        Path file = config(application, SERVERS.stack().zookeeper().endpoint(), stream, out);
        TestStreams.put(kinesis, stream, 0, 50, 5);

        try (WorkerProcess worker = WorkerProcess.start(dir.resolve(application + "-worker.log"), Map.of(), "worker",
                "--config", file.toString())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> ids(out).containsAll(range(0, 50)));
            await().atMost(Duration.ofSeconds(10)).until(() -> run(application + "-list", "checkpoints", "list", "--config",
                    file.toString()).output().contains("seq:"));
            WorkerProcess listed = run(application + "-list-json", "checkpoints", "list", "--config", file.toString(),
                    "--output", "json");
            JsonNode rows = new ObjectMapper().readTree(String.join("\n", listed.messages()));
            assertThat(rows.isArray()).isTrue();
            assertThat(rows).anySatisfy(row -> {
                assertThat(row.path("unit").asText()).isEqualTo("kinesis/" + stream + "/shardId-000000000000");
                assertThat(row.path("position").asText()).startsWith("seq:");
                assertThat(row.path("state").asText()).isEqualTo("ACTIVE");
            });

            WorkerProcess plan = run(application + "-plan", "checkpoints", "reset", "--config", file.toString(),
                    "--source", stream, "--to", "TRIM_HORIZON");
            assertThat(plan.messages()).anyMatch(line -> line.endsWith("-> TRIM_HORIZON")).contains("nothing changed; add --yes to apply");
            assertThat(dataOf(out)).as("a plan changes nothing").hasSize(50);

            WorkerProcess apply = run(application + "-apply", "checkpoints", "reset", "--config", file.toString(),
                    "--source", stream, "--to", "TRIM_HORIZON", "--yes");
            assertThat(apply.messages()).anyMatch(line -> line.endsWith(": reset; its worker restarts it from there"));

            await().atMost(Duration.ofSeconds(20)).until(() -> dataOf(out).size() == 100);
            assertThat(dataOf(out).subList(50, 100)).as("read again from the trim horizon, in order")
                    .isEqualTo(dataOf(out).subList(0, 50));

            WorkerProcess status = run(application + "-status", "status", "--config", file.toString());
            assertThat(status.output()).contains("fleet " + application + ": 1 workers")
                    .contains("kinesis/" + stream + "/shardId-000000000000").contains("READING").contains(" ms ");
            String printed = run(application + "-status-json", "status", "--config", file.toString(), "--output", "json").output();
            // The JSON document is what the command prints, after any log lines.
            JsonNode json = new ObjectMapper().readTree(printed.startsWith("{") ? printed : printed.substring(printed.indexOf("\n{") + 1));
            assertThat(json.path("leaderReachable").asBoolean()).isTrue();
            assertThat(json.path("workers").get(0).path("capacity").asInt()).isEqualTo(1);
            assertThat(json.path("rebalances").get(0).path("reason").asText()).startsWith("join of ");
            worker.terminate();
            assertThat(worker.waitFor(Duration.ofSeconds(30))).isZero();
        }
    }

    @Test
    void producedRecordsCarryUniqueIdsAndAreEachProcessedOnce() throws Exception {
        String stream = TestStreams.create(kinesis, "produce", 2);
        String application = application();
        Path out = dir.resolve(application + ".jsonl");
        Path file = config(application, SERVERS.stack().zookeeper().endpoint(), stream, out);

        try (WorkerProcess worker = WorkerProcess.start(dir.resolve(application + "-worker.log"), Map.of(), "worker",
                "--config", file.toString())) {
            WorkerProcess producer = run(application + "-produce", "produce", "--config", file.toString(), "--count", "150",
                    "--rate", "300");
            assertThat(producer.messages()).last().asString().matches("produced 150 records to " + stream
                    + ", ids [0-9a-f]{8}-1 to [0-9a-f]{8}-150");

            await().atMost(Duration.ofSeconds(60)).until(() -> dataOf(out).size() >= 150);
            List<String> ids = new ArrayList<>();
            ObjectMapper mapper = new ObjectMapper();
            for (String data : dataOf(out)) {
                JsonNode record = mapper.readTree(data);
                assertThat(record.get("producedAt").asLong()).isPositive();
                ids.add(record.get("id").asText());
            }
            assertThat(ids).hasSize(150).doesNotHaveDuplicates();

            String statusUrl;
            try (dev.streamfleet.coordinator.internal.zk.FleetReader reader = dev.streamfleet.coordinator.internal.zk.FleetReader.connect(
                    SERVERS.stack().zookeeper().endpoint(), Duration.ofSeconds(5))) {
                statusUrl = reader.read(application).workers().get(0).statusUrl();
            }
            assertThat(statusUrl).startsWith("http://127.0.0.1:");
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            assertThat(get(http, statusUrl + "/health")).contains("\"ready\":true");
            await().atMost(Duration.ofSeconds(10)).until(() -> get(http, statusUrl + "/metrics")
                    .contains("streamfleet_worker_records_total 150"));
            assertThat(get(http, statusUrl + "/api/worker")).contains("\"state\":\"READING\"")
                    .contains("kinesis/" + stream + "/shardId-000000000000");
            worker.terminate();
            assertThat(worker.waitFor(Duration.ofSeconds(30))).isZero();
        }
    }

    @Test
    void metricsPassPromtoolsCheckSoThatAPrometheusServerTakesEveryFamilyAsIntended() throws Exception {
        Path promtool = promtool();
        String stream = TestStreams.create(kinesis, "prometheus", 2);
        String application = application();
        Path out = dir.resolve(application + ".jsonl");
        Path file = config(application, SERVERS.stack().zookeeper().endpoint(), stream, out);
        TestStreams.put(kinesis, stream, 0, 20, 4);

        try (WorkerProcess worker = WorkerProcess.start(dir.resolve(application + "-worker.log"), Map.of(), "worker",
                "--config", file.toString());
             dev.streamfleet.coordinator.internal.zk.FleetReader reader = dev.streamfleet.coordinator.internal.zk.FleetReader.connect(
                     SERVERS.stack().zookeeper().endpoint(), Duration.ofSeconds(5))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> ids(out).containsAll(range(0, 20)));
            String statusUrl = reader.read(application).workers().get(0).statusUrl();
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            // A checkpoint has been written once every unit's checkpoint latency has a count.
            await().atMost(Duration.ofSeconds(30)).until(() -> get(http, statusUrl + "/metrics").lines()
                    .filter(line -> line.startsWith("streamfleet_unit_checkpoint_seconds_count{") && !line.endsWith(" 0"))
                    .count() == 2);
            String metrics = get(http, statusUrl + "/metrics");
            Path scraped = dir.resolve(application + "-metrics.txt");
            Files.writeString(scraped, metrics);

            Path report = dir.resolve(application + "-promtool.txt");
            Process check = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectInput(scraped.toFile())
                    .redirectErrorStream(true).redirectOutput(report.toFile()).start();
            assertThat(check.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).as("promtool finished").isTrue();
            assertThat(check.exitValue()).as("promtool check metrics on %s:%n%s", scraped, Files.readString(report)).isZero();
            assertThat(Files.readString(report)).isEmpty();

            String labels = "source=\"kinesis\",stream=\"" + stream + "\",unit=\"shardId-000000000001\"";
            assertThat(metrics).contains("# TYPE streamfleet_unit_records_total counter")
                    .contains("streamfleet_unit_records_total{" + labels + "} ")
                    .contains("# TYPE streamfleet_unit_fetch_seconds summary")
                    .contains("streamfleet_unit_fetch_seconds{" + labels + ",quantile=\"0.99\"} ")
                    .contains("jvm_memory_used_bytes{area=\"heap\"} ")
                    .doesNotContain("_per_second").doesNotContain("_p99_");
            worker.terminate();
            assertThat(worker.waitFor(Duration.ofSeconds(30))).isZero();
        }
    }

    @Test
    void withJmxSwitchedOnTheWorkersTotalsAreReadableAsMBeans() throws Exception {
        String stream = TestStreams.create(kinesis, "jmx", 1);
        String application = application();
        Path out = dir.resolve(application + ".jsonl");
        Path file = config(application, SERVERS.stack().zookeeper().endpoint(), stream, out);
        TestStreams.put(kinesis, stream, 0, 12, 3);
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        List<String> jvm = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dcom.sun.management.jmxremote.port=" + port, "-Dcom.sun.management.jmxremote.host=127.0.0.1",
                "-Dcom.sun.management.jmxremote.authenticate=false", "-Dcom.sun.management.jmxremote.ssl=false");

        try (WorkerProcess worker = WorkerProcess.start(jvm, dir.resolve(application + "-worker.log"),
                Map.of("STREAMFLEET_STATUS_JMX", "true"), "worker", "--config", file.toString())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> ids(out).containsAll(range(0, 12)));
            var url = new javax.management.remote.JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + port + "/jmxrmi");
            try (var connector = javax.management.remote.JMXConnectorFactory.connect(url)) {
                var records = new javax.management.ObjectName("streamfleet:name=streamfleet.worker.records,type=meters");
                assertThat((Long) connector.getMBeanServerConnection().getAttribute(records, "Count")).isEqualTo(12L);
            }
            assertThat(worker.output()).contains("worker totals are MBeans in JMX domain streamfleet");
            worker.terminate();
            assertThat(worker.waitFor(Duration.ofSeconds(30))).isZero();
        }
    }

    /** Debian's promtool: {@code PROMTOOL} (which .ci/run sets), else {@code promtool} in /usr/bin. */
    private static Path promtool() {
        String configured = System.getenv("PROMTOOL");
        Path promtool = configured != null && !configured.isBlank() ? Path.of(configured) : Path.of("/usr/bin/promtool");
        assertThat(promtool).as("promtool from Debian's prometheus package (.ci/run fetches it and sets"
                + " PROMTOOL)").isExecutable();
        return promtool;
    }

    @Test
    void leaderServesTheFleetPageAndFollowersRedirectToIt() throws Exception {
        String stream = TestStreams.create(kinesis, "page", 4);
        String application = application();
        Path file = config(application, SERVERS.stack().zookeeper().endpoint(), stream, dir.resolve(application + "-{worker}.jsonl"));
        TestStreams.put(kinesis, stream, 0, 40, 8);

        try (WorkerProcess a = WorkerProcess.start(dir.resolve(application + "-a.log"), Map.of(), "worker", "--config",
                file.toString());
             WorkerProcess b = WorkerProcess.start(dir.resolve(application + "-b.log"), Map.of(), "worker", "--config",
                     file.toString());
             dev.streamfleet.coordinator.internal.zk.FleetReader reader = dev.streamfleet.coordinator.internal.zk.FleetReader.connect(
                     SERVERS.stack().zookeeper().endpoint(), Duration.ofSeconds(5))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                var snapshot = reader.read(application);
                return snapshot.workers().size() == 2 && snapshot.leaseHolders().size() == 4 && snapshot.leader().isPresent();
            });
            var snapshot = reader.read(application);
            String leaderUrl = statusUrl(snapshot, true);
            String followerUrl = statusUrl(snapshot, false);
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();

            // A lease exists a moment before its unit is claimed and READING.
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                JsonNode units = new ObjectMapper().readTree(get(http, leaderUrl + "/api/status")).get("units");
                return units.size() == 4 && java.util.stream.StreamSupport.stream(units.spliterator(), false)
                        .allMatch(unit -> unit.get("state").asText().equals("READING"));
            });
            JsonNode status = new ObjectMapper().readTree(get(http, leaderUrl + "/api/status"));
            assertThat(status.get("leader").asText()).isEqualTo(snapshot.leader().get().value());
            assertThat(status.get("workers")).hasSize(2);
            assertThat(status.get("units")).hasSize(4).allSatisfy(unit -> {
                assertThat(unit.get("owner").isTextual()).isTrue();
                assertThat(unit.get("state").asText()).isEqualTo("READING");
            });

            String page = get(http, leaderUrl + "/");
            assertThat(page).contains("<title>streamfleet " + application + "</title>")
                    .contains(snapshot.workers().get(0).id().value()).contains(snapshot.workers().get(1).id().value())
                    .contains("kinesis/" + stream + "/shardId-000000000003");

            var redirect = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(followerUrl + "/")).build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding());
            assertThat(redirect.statusCode()).isEqualTo(302);
            assertThat(redirect.headers().firstValue("Location")).contains(leaderUrl + "/");
        }
    }

    @Test
    void followerSetToProxyServesTheLeadersPageSoOneAddressInFrontOfAllWorkersShowsTheFleet() throws Exception {
        String stream = TestStreams.create(kinesis, "proxy", 2);
        String application = application();
        Path file = config(application, SERVERS.stack().zookeeper().endpoint(), stream, dir.resolve(application + "-{worker}.jsonl"));
        Map<String, String> proxy = Map.of("STREAMFLEET_STATUS_LEADERPAGE", "proxy");

        try (WorkerProcess a = WorkerProcess.start(dir.resolve(application + "-a.log"), proxy, "worker", "--config",
                file.toString());
             WorkerProcess b = WorkerProcess.start(dir.resolve(application + "-b.log"), proxy, "worker", "--config",
                     file.toString());
             dev.streamfleet.coordinator.internal.zk.FleetReader reader = dev.streamfleet.coordinator.internal.zk.FleetReader.connect(
                     SERVERS.stack().zookeeper().endpoint(), Duration.ofSeconds(5))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                var snapshot = reader.read(application);
                return snapshot.workers().size() == 2 && snapshot.leaseHolders().size() == 2 && snapshot.leader().isPresent();
            });
            var snapshot = reader.read(application);
            String leaderUrl = statusUrl(snapshot, true);
            String followerUrl = statusUrl(snapshot, false);
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();

            var relayed = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(followerUrl + "/api/status"))
                    .timeout(Duration.ofSeconds(10)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(relayed.statusCode()).as("follower's answer: %s", relayed.body()).isEqualTo(200);
            assertThat(relayed.headers().firstValue("X-Streamfleet-Leader")).contains(leaderUrl + "/api/status");
            assertThat(new ObjectMapper().readTree(relayed.body()).get("leader").asText())
                    .isEqualTo(snapshot.leader().get().value());
            assertThat(get(http, followerUrl + "/")).contains("<title>streamfleet " + application + "</title>");
        }
    }

    @Test
    void iamPolicyInDeployNamesExactlyTheAwsActionsAWorkerCalls() throws Exception {
        // A stream resharded before the fleet starts: the leader asks the table whether the parent has ended
        // before it assigns the children.
        Set<String> called = actionsOfOneWorker("iam", Map.of(), stream -> {
            TestStreams.put(kinesis, stream, 0, 60, 6);
            TestStreams.splitInHalf(kinesis, stream, "shardId-000000000000");
            TestStreams.put(kinesis, stream, 60, 120, 6);
        }, (stream, out) -> { });

        assertThat(called)
                .as("AWS actions a worker called (creating its table, reading, checkpointing, a split, serving its page, stopping)"
                        + " versus deploy/aws/iam-policy.json")
                .isEqualTo(policyActions("iam-policy.json"));
    }

    @Test
    void fanOutIamPolicyInDeployNamesExactlyTheAwsActionsAFanOutWorkerCalls() throws Exception {
        Set<String> called = actionsOfOneWorker("iam-fanout", Map.of("STREAMFLEET_SOURCES_0_KINESIS_READER", "fanout"),
                stream -> TestStreams.put(kinesis, stream, 0, 60, 6), (stream, out) -> {
                    await().atMost(Duration.ofSeconds(60)).until(() -> ids(out).containsAll(range(0, 60)));
                    // Pushed: records put while the subscriptions are open arrive without a read.
                    TestStreams.put(kinesis, stream, 60, 120, 6);
                });

        // kinesis-local never ends a resharded parent's subscription, so this stream is not resharded, and the
        // leader has no parent to look up (dynamodb:GetItem): the polling test above proves that action is called.
        Set<String> policy = new java.util.TreeSet<>(policyActions("iam-policy-fanout.json"));
        assertThat(policy.remove("dynamodb:GetItem")).isTrue();
        assertThat(called)
                .as("AWS actions a fan-out worker called (registering its consumer, subscribing, checkpointing, its page)"
                        + " versus deploy/aws/iam-policy-fanout.json")
                .isEqualTo(policy)
                .doesNotContain("kinesis:GetRecords");
    }

    private interface BeforeStart {
        void on(String stream) throws Exception;
    }

    private interface WhileRunning {
        void on(String stream, Path out) throws Exception;
    }

    /**
     * Runs one worker process of the archive on a fresh two-shard stream, with a checkpoint table of
     * its own (so that it creates it, as on a first deployment), until it has processed records
     * 0–119, served the leader's page and stopped; returns the AWS actions it called.
     */
    private static Set<String> actionsOfOneWorker(String prefix, Map<String, String> settings, BeforeStart beforeStart,
                                                  WhileRunning whileRunning) throws Exception {
        String stream = TestStreams.create(kinesis, prefix, 2);
        String application = application();
        Path out = dir.resolve(application + ".jsonl");
        Path file = config(application, SERVERS.stack().zookeeper().endpoint(), stream, out);
        Path calls = dir.resolve(application + "-aws-calls.txt");
        Map<String, String> environment = new java.util.HashMap<>(settings);
        environment.putAll(Map.of(dev.streamfleet.it.AwsCallRecorder.VARIABLE, calls.toString(),
                "STREAMFLEET_CLASSPATH", dev.streamfleet.it.Installation.testExtensions().toString(),
                "STREAMFLEET_CHECKPOINTS_TABLE", application + "-table"));
        beforeStart.on(stream);

        try (WorkerProcess worker = WorkerProcess.start(dir.resolve(application + "-worker.log"), environment, "worker",
                "--config", file.toString());
             dev.streamfleet.coordinator.internal.zk.FleetReader reader = dev.streamfleet.coordinator.internal.zk.FleetReader.connect(
                     SERVERS.stack().zookeeper().endpoint(), Duration.ofSeconds(5))) {
            whileRunning.on(stream, out);
            await().atMost(Duration.ofSeconds(60)).until(() -> ids(out).containsAll(range(0, 120)));
            String statusUrl = reader.read(application).workers().get(0).statusUrl();
            // The leader's page lists the checkpoint table.
            assertThat(get(java.net.http.HttpClient.newHttpClient(), statusUrl + "/api/status")).contains(stream);
            worker.terminate();
            assertThat(worker.waitFor(Duration.ofSeconds(30))).isZero();
        }
        return dev.streamfleet.it.AwsCallRecorder.actions(calls);
    }

    private static Set<String> policyActions(String file) throws IOException {
        Set<String> policy = new java.util.TreeSet<>();
        JsonNode document = new ObjectMapper().readTree(Path.of("..", "deploy", "aws", file).toFile());
        document.get("Statement").forEach(statement -> statement.get("Action").forEach(action -> policy.add(action.asText())));
        return policy;
    }

    /**
     * A worker of the archive whose processor is a test class, on a fresh one-shard stream; its
     * option {@code path} is {@code output}.
     */
    private record ProcessorUnderTest(WorkerProcess worker, String statusUrl, String unit, String application,
                                      Path output) {
    }

    /** With five records on the stream. */
    private static ProcessorUnderTest startWithProcessor(String prefix, Class<?> processor, Map<String, String> settings)
            throws Exception {
        return startWithProcessor(prefix, processor, 5, settings);
    }

    /** With records {@code id-0} … {@code id-<records - 1>} on the stream, all of one partition key. */
    private static ProcessorUnderTest startWithProcessor(String prefix, Class<?> processor, int records,
                                                         Map<String, String> settings) throws Exception {
        String application = application();
        String stream = TestStreams.create(kinesis, prefix, 1);
        TestStreams.put(kinesis, stream, 0, records, 1);
        Path output = dir.resolve(application + ".jsonl");
        Path file = config(application, SERVERS.stack().zookeeper().endpoint(), stream, output);
        Map<String, String> environment = new java.util.HashMap<>(settings);
        environment.put("STREAMFLEET_CLASSPATH", dev.streamfleet.it.Installation.testExtensions().toString());
        environment.put("STREAMFLEET_PROCESSOR_TYPE", processor.getName());
        WorkerProcess worker = WorkerProcess.start(dir.resolve(application + "-worker.log"), environment, "worker",
                "--config", file.toString());
        try (dev.streamfleet.coordinator.internal.zk.FleetReader reader = dev.streamfleet.coordinator.internal.zk.FleetReader.connect(
                SERVERS.stack().zookeeper().endpoint(), Duration.ofSeconds(5))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> !reader.read(application).workers().isEmpty());
            return new ProcessorUnderTest(worker, reader.read(application).workers().get(0).statusUrl(),
                    "kinesis/" + stream + "/shardId-000000000000", application, output);
        } catch (RuntimeException | Error e) {
            worker.close();
            throw e;
        }
    }

    @Test
    void aProcessorThatThrowsAnErrorLeavesItsUnitFailedOnEveryEndpointInsteadOfStalledAndHealthy() throws Exception {
        ProcessorUnderTest run = startWithProcessor("error", LinkageFailingProcessor.class, Map.of());
        try (WorkerProcess worker = run.worker()) {
            String statusUrl = run.statusUrl();
            String unit = run.unit();
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();

            await().atMost(Duration.ofSeconds(60)).until(() -> get(http, statusUrl + "/health").contains(unit));
            assertThat(new ObjectMapper().readTree(get(http, statusUrl + "/health")).path("failed").get(0)
                    .path("reason").asText()).contains("NoSuchMethodError").contains("dev.example.Client.send");
            assertThat(get(http, statusUrl + "/api/worker")).contains("\"state\":\"FAILED\"");
            String metrics = get(http, statusUrl + "/metrics");
            assertThat(metrics).contains("streamfleet_worker_units_failed 1")
                    .as("a FAILED unit keeps its series").contains("unit=\"" + dev.streamfleet.core.UnitId.parse(unit).shard() + "\"");
            try (WorkerProcess strict = WorkerProcess.start(dir.resolve(run.application() + "-health.log"), Map.of(),
                    "health", "--strict", "--url", statusUrl)) {
                assertThat(strict.waitFor(EXIT)).isEqualTo(1);
                assertThat(strict.messages()).singleElement().asString()
                        .startsWith("streamfleet: " + statusUrl + "/health: 1 unit(s) FAILED: " + unit + ": ");
            }
            assertThat(worker.output()).doesNotContain("\tat dev.streamfleet.it.cli.LinkageFailingProcessor");
            worker.terminate();
            assertThat(worker.waitFor(EXIT)).as(worker.output()).isZero();
        }
    }

    @Test
    void aPoisonRecordWithADeadLetterStreamLandsThereOnceWhileTheRestOfItsUnitFlows() throws Exception {
        String deadLetters = TestStreams.create(kinesis, "dead-letters", 1);
        ProcessorUnderTest run = startWithProcessor("poison", PoisonProcessor.class, Map.of(
                "STREAMFLEET_PROCESSING_PROCESSORATTEMPTS", "2",
                "STREAMFLEET_PROCESSING_DEADLETTER_KINESIS_STREAM", deadLetters,
                "STREAMFLEET_PROCESSING_DEADLETTER_KINESIS_REGION", "us-east-1",
                "STREAMFLEET_PROCESSING_DEADLETTER_KINESIS_ENDPOINT", SERVERS.stack().kinesis().endpoint()));
        try (WorkerProcess worker = run.worker()) {
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            await().atMost(Duration.ofSeconds(60)).until(() -> get(http, run.statusUrl() + "/metrics")
                    .contains("streamfleet_unit_dead_lettered_total{source=\"kinesis\",stream=\""
                            + dev.streamfleet.core.UnitId.parse(run.unit()).stream() + "\",unit=\"shardId-000000000000\"} 1.0"));
            await().atMost(Duration.ofSeconds(30)).until(() -> get(http, run.statusUrl() + "/api/worker")
                    .contains("\"records\":4"));

            String shard = kinesis.listShards(r -> r.streamName(deadLetters)).shards().get(0).shardId();
            String iterator = kinesis.getShardIterator(r -> r.streamName(deadLetters).shardId(shard)
                    .shardIteratorType(software.amazon.awssdk.services.kinesis.model.ShardIteratorType.TRIM_HORIZON))
                    .shardIterator();
            var letters = kinesis.getRecords(r -> r.shardIterator(iterator)).records();
            assertThat(letters).as("exactly one dead letter").hasSize(1);
            com.fasterxml.jackson.databind.JsonNode letter = new ObjectMapper().readTree(letters.get(0).data().asUtf8String());
            assertThat(letter.path("unit").asText()).isEqualTo(run.unit());
            assertThat(letter.path("attempts").asInt()).isEqualTo(2);
            assertThat(letter.path("error").asText()).contains("cannot parse id-2");
            assertThat(new String(java.util.Base64.getDecoder().decode(letter.path("data").asText()))).isEqualTo("id-2");
            assertThat(get(http, run.statusUrl() + "/health")).contains("\"failed\":[]");
            worker.terminate();
            assertThat(worker.waitFor(EXIT)).as(worker.output()).isZero();
        }
    }

    /**
     * Issue 24, item 7, through the archive: a dead-letter stream changes nothing of a plain serial
     * processor's contract. The processor checkpoints the position of each batch's last record
     * itself; each of 200 records is processed once, in order, none is dead-lettered, and the
     * stored checkpoint is the last record's while the worker still runs. When dead letters
     * moved a serial processor onto lanes, where {@code checkpoint(position)} throws, every batch
     * failed after it was processed, and its records were processed again and dead-lettered.
     */
    @Test
    void aSerialProcessorCheckpointingItsOwnPositionsKeepsItsContractWhenADeadLetterStreamIsSet() throws Exception {
        String deadLetters = TestStreams.create(kinesis, "dead-letters", 1);
        ProcessorUnderTest run = startWithProcessor("own-checkpoints", PositionCheckpointingProcessor.class, 200, Map.of(
                "STREAMFLEET_PROCESSING_DEADLETTER_KINESIS_STREAM", deadLetters,
                "STREAMFLEET_PROCESSING_DEADLETTER_KINESIS_REGION", "us-east-1",
                "STREAMFLEET_PROCESSING_DEADLETTER_KINESIS_ENDPOINT", SERVERS.stack().kinesis().endpoint()));
        UnitId unit = UnitId.parse(run.unit());
        List<software.amazon.awssdk.services.kinesis.model.Record> produced = recordsOf(unit.stream());
        assertThat(produced).hasSize(200);
        String lastPosition = "seq:" + produced.get(produced.size() - 1).sequenceNumber();
        List<String> inOrder = IntStream.range(0, 200).mapToObj(i -> "id-" + i).toList();

        try (WorkerProcess worker = run.worker()) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                List<String> written = lines(run.output());
                assertThat(Set.copyOf(written).size()).as("distinct records among the %d lines written", written.size())
                        .isEqualTo(200);
            });
            // The worker created the table before it processed anything.
            try (DynamoDbCheckpointTable table = DynamoDbCheckpointTable.open(DynamoDbCheckpointConfig.local(
                    "cli-checkpoints", URI.create(SERVERS.stack().dynamodb().endpoint())))) {
                CheckpointStore store = table.store(run.application());
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(store.read(unit)
                        .flatMap(Checkpoint::position).map(PositionCodec::encode))
                        .as("the stored checkpoint while the worker runs, after %d lines were written",
                                lines(run.output()).size())
                        .contains(lastPosition));
            }

            String labels = "{source=\"kinesis\",stream=\"" + unit.stream() + "\",unit=\"" + unit.shard() + "\"}";
            String metrics = get(java.net.http.HttpClient.newHttpClient(), run.statusUrl() + "/metrics");
            assertThat(metrics.lines().filter(line -> line.contains(labels))).as("the unit's series on /metrics")
                    .contains("streamfleet_unit_dead_lettered_total" + labels + " 0.0",
                            "streamfleet_unit_processor_retries_total" + labels + " 0.0",
                            "streamfleet_unit_records_total" + labels + " 200.0");
            assertThat(recordsOf(deadLetters)).as("records on the dead-letter stream").isEmpty();
            worker.terminate();
            assertThat(worker.waitFor(EXIT)).as(worker.output()).isZero();
        }
        assertThat(lines(run.output())).as("records processed, in the order processed").isEqualTo(inOrder);
    }

    /** Every record of a one-shard stream, read from its trim horizon until a read returns none. */
    private static List<software.amazon.awssdk.services.kinesis.model.Record> recordsOf(String stream) {
        String shard = kinesis.listShards(r -> r.streamName(stream)).shards().get(0).shardId();
        String iterator = kinesis.getShardIterator(r -> r.streamName(stream).shardId(shard)
                .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
        List<software.amazon.awssdk.services.kinesis.model.Record> records = new ArrayList<>();
        // The emulator returns every record up to the tip in order, so an empty read means the end.
        for (int read = 0; read < 100; read++) {
            String from = iterator;
            var response = kinesis.getRecords(r -> r.shardIterator(from));
            if (response.records().isEmpty()) {
                return records;
            }
            records.addAll(response.records());
            iterator = response.nextShardIterator();
        }
        throw new AssertionError("stream " + stream + " still returned records after 100 reads");
    }

    @Test
    void aBatchThatNeverReturnsMakesItsUnitStalledOnEveryEndpointInsteadOfHealthy() throws Exception {
        ProcessorUnderTest run = startWithProcessor("stalled", BlockedProcessor.class,
                Map.of("STREAMFLEET_PROCESSING_STALLAFTER", "2s"));
        try (WorkerProcess worker = run.worker()) {
            String statusUrl = run.statusUrl();
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();

            await().atMost(Duration.ofSeconds(60)).until(() -> get(http, statusUrl + "/health").contains("\"stalled\":[{"));
            assertThat(new ObjectMapper().readTree(get(http, statusUrl + "/health")).path("stalled").get(0)
                    .path("unit").asText()).isEqualTo(run.unit());
            assertThat(get(http, statusUrl + "/api/worker")).contains("\"stalled\":\"no record processed for");
            assertThat(get(http, statusUrl + "/metrics")).contains("streamfleet_worker_units_stalled 1");
            try (WorkerProcess strict = WorkerProcess.start(dir.resolve(run.application() + "-health.log"), Map.of(),
                    "health", "--strict", "--url", statusUrl)) {
                assertThat(strict.waitFor(EXIT)).isEqualTo(1);
                assertThat(strict.messages()).singleElement().asString()
                        .startsWith("streamfleet: " + statusUrl + "/health: 1 unit(s) STALLED: " + run.unit() + ": ");
            }
            // It cannot hand a unit over whose batch never returns: stop it the hard way.
            worker.kill();
        }
    }

    /** The status URL of the leader, or of a worker that is not the leader. */
    private static String statusUrl(dev.streamfleet.coordinator.internal.zk.FleetSnapshot snapshot, boolean leader) {
        return snapshot.workers().stream().filter(w -> w.id().equals(snapshot.leader().orElseThrow()) == leader)
                .findFirst().orElseThrow().statusUrl();
    }

    private static String get(java.net.http.HttpClient http, String url) throws Exception {
        return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    }

    private static WorkerProcess run(String name, String... args) throws Exception {
        WorkerProcess process = WorkerProcess.start(dir.resolve(name + "-" + UUID.randomUUID().toString().substring(0, 4)
                + ".log"), Map.of(), args);
        int exit = process.waitFor(EXIT);
        assertThat(exit).as("exit code of %s; output:%n%s", String.join(" ", args), process.output()).isZero();
        return process;
    }
}
