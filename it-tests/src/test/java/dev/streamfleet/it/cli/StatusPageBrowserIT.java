package dev.streamfleet.it.cli;

import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.coordinator.internal.zk.FleetReader;
import dev.streamfleet.coordinator.internal.zk.FleetSnapshot;
import dev.streamfleet.it.LocalStackExtension;
import dev.streamfleet.it.worker.TestStreams;
import dev.streamfleet.it.worker.TestTopics;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.kinesis.KinesisClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The leader's page, kept open in a real headless browser (Debian's chromium, which .ci/run
 * installs when it is missing) against worker processes of the archive, while the fleet changes
 * under it.
 */
class StatusPageBrowserIT {

    @RegisterExtension
    static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withZooKeeper(1).withKinesis().withDynamoDb()
            .withKafka());

    private static final String UNIT_ROWS = "document.querySelectorAll('#units tbody tr').length";
    private static final String WORKER_ROWS = "document.querySelectorAll('#workers tbody tr').length";

    @Test
    void anOpenPageFollowsARebalanceWithoutReloadingOrLosingTheReadersScrollSortAndFilter() throws Exception {
        assertThat(HeadlessChromium.BINARY).as("Debian's chromium (installed by .ci/run)").isExecutable();
        Path dir = Files.createDirectories(SERVERS.stack().workDir().resolve("browser"));
        String stream;
        try (KinesisClient kinesis = TestStreams.client(SERVERS.stack().kinesis().endpoint())) {
            stream = TestStreams.create(kinesis, "page", 6);
            TestStreams.put(kinesis, stream, 0, 60, 12);
        }
        String application = "page-" + UUID.randomUUID().toString().substring(0, 8);
        Path config = config(dir, application, stream, null);

        try (FleetReader reader = FleetReader.connect(SERVERS.stack().zookeeper().endpoint(), Duration.ofSeconds(5));
             WorkerProcess a = WorkerProcess.start(dir.resolve("a.log"), Map.of(), "worker", "--config", config.toString());
             WorkerProcess b = WorkerProcess.start(dir.resolve("b.log"), Map.of(), "worker", "--config", config.toString())) {
            FleetSnapshot two = awaitFleet(reader, application, 2, 6);
            String follower = two.workers().stream().filter(w -> !w.id().equals(two.leader().orElseThrow()))
                    .findFirst().orElseThrow().statusUrl();

            try (HeadlessChromium page = HeadlessChromium.open(follower + "/", dir, 900, 400)) {
                // A reader whose locale writes decimal commas, where a chart drawn with locale formatting falls apart.
                page.emulateLocale("de-DE");
                page.evaluate("location.reload()");
                await().atMost(Duration.ofSeconds(30)).until(() -> page.evaluate(WORKER_ROWS).asInt() == 2
                        && page.evaluate(UNIT_ROWS).asInt() == 6);
                assertThat(page.evaluate("document.getElementById('leader').textContent").asText())
                        .as("the follower's URL leads to the leader's page").isEqualTo(two.leader().get().value());
                assertThat(page.evaluate("(1.5).toLocaleString()").asText()).isEqualTo("1,5");

                // The reader scrolls to the units, sorts them by unit descending and filters them; none of it may be
                // lost to a refresh.
                page.evaluate("window.openedOnce = 'the same page'");
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        page.evaluate("!!document.querySelector('#chart-recordsPerSecond polyline')").asBoolean());
                int scrolled = page.evaluate("document.getElementById('units').scrollIntoView(); window.scrollY").asInt();
                assertThat(scrolled).isPositive();
                page.evaluate("document.querySelector('#units th[data-key=unit]').click()");
                page.evaluate("document.querySelector('#units th[data-key=unit]').click()");
                assertThat(firstUnit(page)).endsWith("shardId-000000000005");
                page.evaluate("(() => { const f = document.getElementById('filter'); f.value = '00000000000'; "
                        + "f.dispatchEvent(new Event('input')); })()");
                assertThat(page.evaluate(UNIT_ROWS).asInt()).as("all six match the filter").isEqualTo(6);
                page.evaluate("(() => { const f = document.getElementById('filter'); f.value = 'shardId-000000000003'; "
                        + "f.dispatchEvent(new Event('input')); })()");
                assertThat(page.evaluate(UNIT_ROWS).asInt()).isEqualTo(1);

                try (WorkerProcess c = WorkerProcess.start(dir.resolve("c.log"), Map.of(), "worker", "--config",
                        config.toString())) {
                    FleetSnapshot three = awaitFleet(reader, application, 3, 6);
                    await().atMost(Duration.ofSeconds(30)).until(() ->
                            page.evaluate("document.getElementById('generation').textContent").asText()
                                    .equals(Long.toString(three.generation()))
                                    && page.evaluate(WORKER_ROWS).asInt() == 3);
                    three.workers().forEach(w -> assertThat(page.evaluate("document.getElementById('workers').textContent")
                            .asText()).contains(w.id().value()));
                    assertThat(page.evaluate("window.openedOnce").asText()).as("updated in place, not reloaded")
                            .isEqualTo("the same page");
                    assertThat(page.evaluate("document.getElementById('units').getBoundingClientRect().top").asDouble())
                            .as("the units stay where the reader scrolled them to, though a worker row was added above")
                            .isCloseTo(0.0, org.assertj.core.data.Offset.offset(1.0));
                    assertThat(page.evaluate("window.scrollY").asInt()).isGreaterThanOrEqualTo(scrolled);
                    assertThat(page.evaluate("document.getElementById('filter').value").asText()).isEqualTo("shardId-000000000003");
                    assertThat(page.evaluate(UNIT_ROWS).asInt()).as("the filter still applies").isEqualTo(1);

                    page.evaluate("(() => { const f = document.getElementById('filter'); f.value = ''; "
                            + "f.dispatchEvent(new Event('input')); })()");
                    assertThat(page.evaluate(UNIT_ROWS).asInt()).isEqualTo(6);
                    assertThat(firstUnit(page)).as("the sort order still applies").endsWith("shardId-000000000005");
                    await().atMost(Duration.ofSeconds(30)).until(() -> page.evaluate(
                            "[...document.querySelectorAll('#units td.state')].filter(td => td.textContent === 'READING').length")
                            .asInt() == 6);

                    // The chart: axes with units, coordinates with decimal points whatever the reader's locale.
                    assertThat(page.evaluate("document.querySelector('#chart-recordsPerSecond polyline').getAttribute('points')")
                            .asText()).matches("\\d+\\.\\d,\\d+\\.\\d( \\d+\\.\\d,\\d+\\.\\d)+");
                    assertThat(page.evaluate("document.querySelector('#chart-recordsPerSecond svg').textContent").asText())
                            .contains("records/s").contains(" UTC");
                }
            }
        }
    }

    @Test
    void theChartKeepsItsHistoryWhenTheLeaderLeavesAndAPageLeftOnTheGoneLeaderSaysSoAndLinksTheOthers() throws Exception {
        Path dir = Files.createDirectories(SERVERS.stack().workDir().resolve("browser-leader"));
        String stream;
        try (KinesisClient kinesis = TestStreams.client(SERVERS.stack().kinesis().endpoint())) {
            stream = TestStreams.create(kinesis, "page-lag", 2);
            TestStreams.put(kinesis, stream, 0, 40, 8);
        }
        String topic = TestTopics.create(SERVERS.stack().kafka().endpoint(), "page-lag", 2);
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SERVERS.stack().kafka().endpoint());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            for (int i = 0; i < 40; i++) {
                producer.send(new ProducerRecord<>(topic, "key-" + (i % 8), "record-" + i));
            }
        }
        String application = "page-lag-" + UUID.randomUUID().toString().substring(0, 8);
        Path config = config(dir, application, stream, topic);

        try (FleetReader reader = FleetReader.connect(SERVERS.stack().zookeeper().endpoint(), Duration.ofSeconds(5));
             WorkerProcess a = WorkerProcess.start(dir.resolve("a.log"), Map.of(), "worker", "--config", config.toString());
             WorkerProcess b = WorkerProcess.start(dir.resolve("b.log"), Map.of(), "worker", "--config", config.toString())) {
            FleetSnapshot two = awaitFleet(reader, application, 2, 4);
            WorkerInfo leader = two.workers().stream().filter(w -> w.id().equals(two.leader().orElseThrow())).findFirst()
                    .orElseThrow();
            WorkerInfo survivor = two.workers().stream().filter(w -> !w.equals(leader)).findFirst().orElseThrow();
            WorkerProcess leaderProcess = a.output().contains("worker " + leader.id().value() + " joined") ? a : b;

            try (HeadlessChromium page = HeadlessChromium.open(leader.statusUrl() + "/", dir, 900, 600)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> page.evaluate(
                        "document.querySelectorAll('#chart-recordsPerSecond, #chart-maxMillisBehindLatest, "
                                + "#chart-offsetLag').length").asInt() == 3);
                JsonNode before = api(page);
                assertThat(before.path("history").size()).isGreaterThanOrEqualTo(2);
                Instant leaderLeft = Instant.now();

                leaderProcess.terminate();
                assertThat(leaderProcess.waitFor(Duration.ofSeconds(60))).isZero();
                await().atMost(Duration.ofSeconds(30)).until(() -> !page.evaluate("document.getElementById('problem').hidden")
                        .asBoolean());
                assertThat(page.evaluate("document.getElementById('problem').textContent").asText())
                        .contains("does not answer");
                assertThat(page.evaluate("[...document.querySelectorAll('#problem a')].map(a => a.href).join(' ')").asText())
                        .as("a link to the worker that is left").contains(survivor.statusUrl());

                // Followed at once: while the survivor is not leading yet, its page says so and tries again by itself.
                page.evaluate("document.querySelector('#problem a').click()");
                FleetSnapshot one = awaitFleet(reader, application, 1, 4);
                assertThat(one.leader()).hasValue(survivor.id());
                // Evaluations may meet a page being replaced; they are retried until the bound.
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> page.evaluate(
                        "document.getElementById('leader')?.textContent ?? ''").asText().equals(survivor.id().value()));
                JsonNode after = api(page);
                assertThat(Instant.parse(after.path("history").get(0).path("at").asText()))
                        .as("the new leader's chart goes back before it led").isBefore(leaderLeft);
                await().atMost(Duration.ofSeconds(30)).until(() -> page.evaluate(
                        "document.querySelectorAll('#chart-maxMillisBehindLatest polyline, #chart-offsetLag polyline').length")
                        .asInt() == 2);
            }
        }
    }

    /** The status document the page has drawn last. */
    private static JsonNode api(HeadlessChromium page) throws Exception {
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                page.evaluate("fetch('/api/status').then(r => r.text())").asText());
    }

    private static String firstUnit(HeadlessChromium page) {
        return page.evaluate("document.querySelector('#units tbody tr td').textContent").asText();
    }

    private static Path config(Path dir, String application, String stream, String topic) throws Exception {
        String kafka = topic == null ? "" : """
                  - kafka:
                      topic: %s
                      bootstrapServers: %s
                      initialPosition: TRIM_HORIZON
                """.formatted(topic, SERVERS.stack().kafka().endpoint());
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
                %sprocessor:
                  type: log
                """.formatted(application, SERVERS.stack().zookeeper().endpoint(), SERVERS.stack().dynamodb().endpoint(),
                stream, SERVERS.stack().kinesis().endpoint(), kafka));
        return config;
    }

    private static FleetSnapshot awaitFleet(FleetReader reader, String application, int workers, int units) {
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            FleetSnapshot snapshot = reader.read(application);
            return snapshot.workers().size() == workers && snapshot.leaseHolders().size() == units
                    && snapshot.leader().isPresent()
                    && snapshot.assignments().values().stream().allMatch(held -> held.size() == units / workers);
        });
        return reader.read(application);
    }
}
