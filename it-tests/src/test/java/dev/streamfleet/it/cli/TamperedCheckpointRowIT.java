package dev.streamfleet.it.cli;

import dev.streamfleet.coordinator.internal.zk.FleetReader;
import dev.streamfleet.it.LocalStackExtension;
import dev.streamfleet.it.worker.TestStreams;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.kinesis.KinesisClient;

import static dev.streamfleet.it.cli.JsonlFiles.dataOf;
import static dev.streamfleet.it.cli.JsonlFiles.ids;
import static dev.streamfleet.it.cli.JsonlFiles.lines;
import static dev.streamfleet.it.cli.JsonlFiles.range;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An operator's mistake, made as an operator would make it, on the production archive: a worker
 * stopped gracefully, its unit's checkpoint row edited in DynamoDB so that {@code pos} is a number,
 * records written, the worker started again. The unit must not start over from its initial
 * position (LATEST, which skips everything written while the worker was stopped): it is FAILED with
 * the row's reason on {@code /health} and {@code /api/worker}, nothing is read past the bad row, the
 * row is left as it is, and once the operator fixes it, not one record is missing.
 */
class TamperedCheckpointRowIT {

    @RegisterExtension
    static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withZooKeeper(1).withKinesis().withDynamoDb());

    private static final String TABLE = "tampered-checkpoints";
    private static final Duration EXIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static KinesisClient kinesis;
    private static DynamoDbClient dynamodb;
    private static Path dir;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void connect() throws IOException {
        kinesis = TestStreams.client(SERVERS.stack().kinesis().endpoint());
        dynamodb = DynamoDbClient.builder().endpointOverride(URI.create(SERVERS.stack().dynamodb().endpoint()))
                .region(software.amazon.awssdk.regions.Region.US_EAST_1)
                .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                        software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("local", "local")))
                .httpClientBuilder(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.builder())
                .build();
        dir = Files.createDirectories(SERVERS.stack().workDir().resolve("tampered"));
    }

    @AfterAll
    static void disconnect() {
        kinesis.close();
        dynamodb.close();
    }

    @Test
    void aPositionRewrittenAsANumberFailsTheUnitWithTheReasonInsteadOfSkippingWhatWasWrittenMeanwhile() throws Exception {
        String stream = TestStreams.create(kinesis, "tampered", 1);
        String application = "tampered-" + UUID.randomUUID().toString().substring(0, 8);
        String unit = "kinesis/" + stream + "/shardId-000000000000";
        Path out = dir.resolve(application + ".jsonl");
        Path file = config(application, stream, out);
        Map<String, AttributeValue> key = Map.of("pk", AttributeValue.fromS(application + "/" + unit));

        // A worker reads records 0-19 and is stopped gracefully, writing its final checkpoint.
        try (WorkerProcess first = worker(application + "-first", file)) {
            String statusUrl = statusUrl(application);
            await().atMost(Duration.ofSeconds(60)).until(() -> get(statusUrl + "/api/worker").contains("\"state\":\"READING\""));
            TestStreams.put(kinesis, stream, 0, 20, 1);
            await().atMost(Duration.ofSeconds(60)).until(() -> ids(out).containsAll(range(0, 20)));
            first.terminate();
            assertThat(first.waitFor(EXIT)).as(first.output()).isZero();
        }
        String last = lastPosition(out);
        assertThat(item(key).get("pos")).isEqualTo(AttributeValue.fromS(last));

        // The operator's edit: the position as a number. A DynamoDB number keeps 38 significant digits, so the
        // 56 digits of a sequence number are stored rounded, as a console stores them when asked for a number.
        String sequence = last.substring("seq:".length());
        String rounded = sequence.substring(0, 38) + "E" + (sequence.length() - 38);
        dynamodb.updateItem(r -> r.tableName(TABLE).key(key).updateExpression("SET pos = :n")
                .expressionAttributeValues(Map.of(":n", AttributeValue.fromN(rounded))));
        Map<String, AttributeValue> edited = item(key);
        String digits = edited.get("pos").n();
        TestStreams.put(kinesis, stream, 20, 70, 1);

        try (WorkerProcess second = worker(application + "-second", file)) {
            String statusUrl = statusUrl(application);
            // A record written after the restart: a unit started over at LATEST would read it, and none of 20-69.
            await().atMost(Duration.ofSeconds(60)).until(() -> get(statusUrl + "/api/worker").contains(unit));
            TestStreams.put(kinesis, stream, 70, 71, 1);
            await("the unit FAILED on /health, or a record processed after the restart").atMost(Duration.ofSeconds(60))
                    .until(() -> failedOnHealth(statusUrl, unit) || dataOf(out).size() > 20);
            assertThat(dataOf(out)).as("records processed by the restarted worker before anything was fixed: a unit"
                    + " started over at LATEST processes id-70 and skips id-20 to id-69").hasSize(20);

            JsonNode failed = JSON.readTree(get(statusUrl + "/health")).path("failed");
            assertThat(failed).hasSize(1);
            assertThat(failed.get(0).path("unit").asText()).isEqualTo(unit);
            assertThat(failed.get(0).path("reason").asText())
                    .isEqualTo("checkpoint row quarantined: attribute 'pos' is the number " + digits + ", not a position string");
            JsonNode reported = unitOf(JSON.readTree(get(statusUrl + "/api/worker")), unit);
            assertThat(reported.path("state").asText()).isEqualTo("FAILED");
            assertThat(reported.path("failure").asText()).contains("'pos' is the number " + digits);
            assertThat(unitOf(JSON.readTree(get(statusUrl + "/api/status")), unit).path("failure").asText())
                    .as("the leader's page").contains("'pos' is the number " + digits);
            assertThat(get(statusUrl + "/metrics")).contains("streamfleet_worker_units_failed 1");

            Thread.sleep(3_000);
            assertThat(dataOf(out)).as("nothing read past the bad row").hasSize(20);
            assertThat(item(key)).as("the row as the operator left it").isEqualTo(edited);

            WorkerProcess listed = run(application + "-list", "checkpoints", "list", "--config", file.toString());
            assertThat(listed.messages()).anyMatch(line -> line.startsWith(unit) && line.contains("QUARANTINED")
                    && line.contains("'pos' is the number " + digits));

            // The fix: the position written back as a position; the worker takes the unit up again from there.
            WorkerProcess reset = run(application + "-reset", "checkpoints", "reset", "--config", file.toString(),
                    "--unit", unit, "--to", last, "--yes");
            assertThat(reset.messages()).anyMatch(line -> line.contains("(quarantined: attribute 'pos' is the number"));
            await().atMost(Duration.ofSeconds(60)).until(() -> ids(out).containsAll(range(0, 71)));
            second.terminate();
            assertThat(second.waitFor(EXIT)).as(second.output()).isZero();
        }
        assertThat(dataOf(out)).as("every record once: none skipped, none twice").hasSize(71).doesNotHaveDuplicates();
    }

    private static Path config(String application, String stream, Path output) throws IOException {
        String yaml = """
                application: %s
                zookeeper:
                  connect: %s
                  sessionTimeout: 4s
                checkpoints:
                  table: %s
                  region: us-east-1
                  endpoint: %s
                  interval: 1s
                sources:
                  - kinesis:
                      stream: %s
                      region: us-east-1
                      endpoint: %s
                      initialPosition: LATEST
                processor:
                  type: jsonl
                  options:
                    path: %s
                """.formatted(application, SERVERS.stack().zookeeper().endpoint(), TABLE,
                SERVERS.stack().dynamodb().endpoint(), stream, SERVERS.stack().kinesis().endpoint(), output);
        Path file = dir.resolve(application + ".yaml");
        Files.writeString(file, yaml);
        return file;
    }

    private static WorkerProcess worker(String name, Path config) throws IOException {
        return WorkerProcess.start(dir.resolve(name + ".log"), Map.of(), "worker", "--config", config.toString());
    }

    private static WorkerProcess run(String name, String... args) throws Exception {
        WorkerProcess process = WorkerProcess.start(dir.resolve(name + ".log"), Map.of(), args);
        assertThat(process.waitFor(EXIT)).as("exit code of %s; output:%n%s", String.join(" ", args), process.output())
                .isZero();
        return process;
    }

    private static String statusUrl(String application) throws Exception {
        try (FleetReader reader = FleetReader.connect(SERVERS.stack().zookeeper().endpoint(), Duration.ofSeconds(5))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> !reader.read(application).workers().isEmpty());
            return reader.read(application).workers().get(0).statusUrl();
        }
    }

    private Map<String, AttributeValue> item(Map<String, AttributeValue> key) {
        return dynamodb.getItem(r -> r.tableName(TABLE).key(key).consistentRead(true)).item();
    }

    /** The position of the last record in the processor's output. */
    private static String lastPosition(Path out) throws IOException {
        List<String> all = new ArrayList<>(lines(out));
        JsonNode last = JSON.readTree(all.get(all.size() - 1));
        assertThat(last.path("data").asText()).isEqualTo("id-19");
        return last.path("position").asText();
    }

    private boolean failedOnHealth(String statusUrl, String unit) throws Exception {
        return get(statusUrl + "/health").contains("\"unit\":\"" + unit + "\"");
    }

    private static JsonNode unitOf(JsonNode document, String unit) {
        for (JsonNode node : document.path("units")) {
            if (node.path("unit").asText().equals(unit)) {
                return node;
            }
        }
        throw new AssertionError(unit + " is not in " + document);
    }

    private String get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
