package dev.streamfleet.it.cli;

import dev.streamfleet.coordinator.zk.FleetReader;
import dev.streamfleet.coordinator.zk.FleetSnapshot;
import dev.streamfleet.it.LocalStackExtension;
import dev.streamfleet.it.worker.TestStreams;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.kinesis.KinesisClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The leader's page in a real headless browser (Debian's chromium, which .ci/run installs when
 * it is missing) against worker processes: it loads, shows every worker and unit, and shows
 * the fleet after a rebalance.
 */
class StatusPageBrowserIT {

    @RegisterExtension
    static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withZooKeeper(1).withKinesis().withDynamoDb());

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    @Test
    void pageShowsEveryWorkerAndUnitAndTheFleetAfterARebalance() throws Exception {
        assertThat(CHROMIUM).as("Debian's chromium (installed by .ci/run)").isExecutable();
        Path dir = Files.createDirectories(SERVERS.stack().workDir().resolve("browser"));
        String application = "page-" + UUID.randomUUID().toString().substring(0, 8);
        String stream;
        try (KinesisClient kinesis = TestStreams.client(SERVERS.stack().kinesis().endpoint())) {
            stream = TestStreams.create(kinesis, "page", 6);
            TestStreams.put(kinesis, stream, 0, 60, 12);
        }
        Path config = dir.resolve(application + ".yaml");
        Files.writeString(config, """
                application: %s
                zookeeper:
                  connect: %s
                  sessionTimeout: 4s
                checkpoints:
                  table: page-checkpoints
                  region: us-east-1
                  endpoint: %s
                sources:
                  - kinesis:
                      stream: %s
                      region: us-east-1
                      endpoint: %s
                      initialPosition: TRIM_HORIZON
                processor:
                  type: log
                """.formatted(application, SERVERS.stack().zookeeper().endpoint(), SERVERS.stack().dynamodb().endpoint(),
                stream, SERVERS.stack().kinesis().endpoint()));

        try (FleetReader reader = FleetReader.connect(SERVERS.stack().zookeeper().endpoint(), Duration.ofSeconds(5));
             WorkerProcess a = WorkerProcess.start(dir.resolve("a.log"), Map.of(), "worker", "--config", config.toString());
             WorkerProcess b = WorkerProcess.start(dir.resolve("b.log"), Map.of(), "worker", "--config", config.toString())) {
            FleetSnapshot two = awaitFleet(reader, application, 2);
            String follower = two.workers().stream().filter(w -> !w.id().equals(two.leader().orElseThrow()))
                    .findFirst().orElseThrow().statusUrl();

            String page = dumpDom(follower + "/", dir);
            assertThat(page).as("the follower's URL leads to the leader's page")
                    .contains("leader <b id=\"leader\">" + two.leader().get().value());
            two.workers().forEach(w -> assertThat(page).contains(w.id().value()));
            assertThat(count(page, "<tr class=\"worker\">")).isEqualTo(2);
            assertThat(count(page, "<tr class=\"unit\">")).isEqualTo(6);
            assertThat(page).contains("kinesis/" + stream + "/shardId-000000000005");

            try (WorkerProcess c = WorkerProcess.start(dir.resolve("c.log"), Map.of(), "worker", "--config",
                    config.toString())) {
                FleetSnapshot three = awaitFleet(reader, application, 3);
                String leaderUrl = three.workers().stream().filter(w -> w.id().equals(three.leader().orElseThrow()))
                        .findFirst().orElseThrow().statusUrl();
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    String dom = dumpDom(leaderUrl + "/", dir);
                    return count(dom, "<tr class=\"worker\">") == 3 && count(dom, ">READING<") == 6;
                });
                String after = dumpDom(leaderUrl + "/", dir);
                assertThat(after).contains("generation <b id=\"generation\">" + three.generation());
                three.workers().forEach(w -> assertThat(after).contains(w.id().value()));
                assertThat(count(after, ">READING<")).isEqualTo(6);
            }
        }
    }

    private static FleetSnapshot awaitFleet(FleetReader reader, String application, int workers) {
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            FleetSnapshot snapshot = reader.read(application);
            return snapshot.workers().size() == workers && snapshot.leaseHolders().size() == 6
                    && snapshot.leader().isPresent()
                    && snapshot.assignments().values().stream().allMatch(units -> units.size() == 6 / workers);
        });
        return reader.read(application);
    }

    private static int count(String text, String needle) {
        int count = 0;
        for (int at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
            count++;
        }
        return count;
    }

    /** Loads the page in headless chromium and returns the DOM it rendered. */
    private static String dumpDom(String url, Path dir) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(dir, "chromium-");
        Path out = dir.resolve("dom-" + UUID.randomUUID().toString().substring(0, 6) + ".html");
        Process chromium = new ProcessBuilder(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--dump-dom", url))
                .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        if (!chromium.waitFor(60, TimeUnit.SECONDS)) {
            chromium.destroyForcibly();
            throw new AssertionError("chromium did not render " + url + " within 60 s");
        }
        return Files.readString(out, StandardCharsets.UTF_8);
    }
}
