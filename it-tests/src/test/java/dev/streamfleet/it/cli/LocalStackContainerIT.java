package dev.streamfleet.it.cli;

import dev.streamfleet.coordinator.internal.zk.FleetReader;
import dev.streamfleet.it.LocalStackExtension;
import dev.streamfleet.it.worker.TestStreams;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.localstack.LocalStackContainer;
import org.testcontainers.utility.DockerImageName;
import software.amazon.awssdk.services.kinesis.KinesisClient;

import static dev.streamfleet.it.cli.JsonlFiles.dataOf;
import static dev.streamfleet.it.cli.JsonlFiles.ids;
import static dev.streamfleet.it.cli.JsonlFiles.range;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The core scenario against LocalStack (Kinesis and DynamoDB as AWS's own APIs emulate them)
 * rather than the Node emulators: two worker processes share a stream, checkpoints go to
 * DynamoDB, one worker leaves and the other carries on without loss or duplicates. Needs a
 * Docker engine; where none runs, the class is reported as skipped.
 */
@Testcontainers(disabledWithoutDocker = true)
class LocalStackContainerIT {

    /** The image the compose file uses too (deploy/docker/docker-compose.yml). */
    static final String IMAGE = "localstack/localstack:4.4";

    /** Created only once the class is known to run: creating it looks for Docker at once. */
    private static LocalStackContainer LOCALSTACK;

    @RegisterExtension
    static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withZooKeeper(1));

    @BeforeAll
    static void startLocalStack() {
        LOCALSTACK = new LocalStackContainer(DockerImageName.parse(IMAGE)).withServices("kinesis", "dynamodb");
        LOCALSTACK.start();
    }

    @AfterAll
    static void stopLocalStack() {
        if (LOCALSTACK != null) {
            LOCALSTACK.stop();
        }
    }

    @Test
    void twoWorkersShareAStreamAndOneLeavingLosesAndRepeatsNothing() throws Exception {
        String endpoint = LOCALSTACK.getEndpoint().toString();
        Path dir = Files.createDirectories(SERVERS.stack().workDir().resolve("localstack-container"));
        Map<String, String> credentials = Map.of("AWS_ACCESS_KEY_ID", LOCALSTACK.getAccessKey(),
                "AWS_SECRET_ACCESS_KEY", LOCALSTACK.getSecretKey());
        String stream;
        try (KinesisClient kinesis = TestStreams.client(endpoint)) {
            stream = TestStreams.create(kinesis, "orders", 4);
            TestStreams.put(kinesis, stream, 0, 200, 20);
        }
        String zookeeper = SERVERS.stack().zookeeper().endpoint();
        Path config = dir.resolve("fleet.yaml");
        Files.writeString(config, """
                application: localstack-fleet
                zookeeper:
                  connect: %s
                  sessionTimeout: 4s
                checkpoints:
                  table: streamfleet-checkpoints
                  region: %s
                  endpoint: %s
                  interval: 1s
                sources:
                  - kinesis:
                      stream: %s
                      region: %s
                      endpoint: %s
                      initialPosition: TRIM_HORIZON
                processor:
                  type: jsonl
                  options:
                    path: %s
                """.formatted(zookeeper, LOCALSTACK.getRegion(), endpoint, stream, LOCALSTACK.getRegion(), endpoint,
                dir.resolve("records-{worker}.jsonl")));

        try (WorkerProcess a = WorkerProcess.start(dir.resolve("a.log"), credentials, "worker", "--config", config.toString());
             WorkerProcess b = WorkerProcess.start(dir.resolve("b.log"), credentials, "worker", "--config", config.toString());
             FleetReader reader = FleetReader.connect(zookeeper, Duration.ofSeconds(5))) {
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                var snapshot = reader.read("localstack-fleet");
                return snapshot.leaseHolders().size() == 4 && new HashSet<>(snapshot.leaseHolders().values()).size() == 2;
            });
            await().atMost(Duration.ofSeconds(90)).until(() -> ids(outputs(dir)).containsAll(range(0, 200)));

            a.terminate();
            assertThat(a.waitFor(Duration.ofSeconds(30))).as("exit code after SIGTERM; output:%n%s", a.output()).isZero();
            try (KinesisClient kinesis = TestStreams.client(endpoint)) {
                TestStreams.put(kinesis, stream, 200, 400, 20);
            }
            await().atMost(Duration.ofSeconds(90)).until(() -> ids(outputs(dir)).containsAll(range(0, 400)));
            b.terminate();
            assertThat(b.waitFor(Duration.ofSeconds(30))).isZero();
        }

        List<String> all = new ArrayList<>();
        for (Path output : outputs(dir)) {
            all.addAll(dataOf(output));
        }
        assertThat(all).as("every record exactly once across a graceful leave").hasSize(400).doesNotHaveDuplicates();
    }

    private static Path[] outputs(Path dir) throws java.io.IOException {
        try (var files = Files.list(dir)) {
            return files.filter(file -> file.getFileName().toString().endsWith(".jsonl")).toArray(Path[]::new);
        }
    }
}
