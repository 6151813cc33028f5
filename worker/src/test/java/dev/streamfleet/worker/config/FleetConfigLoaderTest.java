package dev.streamfleet.worker.config;

import dev.streamfleet.core.Position;
import dev.streamfleet.worker.Parallelism;
import dev.streamfleet.worker.Ordering;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FleetConfigLoaderTest {

    private static final String MINIMAL = """
            application: app
            zookeeper:
              connect: 127.0.0.1:2181
            checkpoints:
              region: us-east-1
            sources:
              - kafka:
                  topic: t
                  bootstrapServers: 127.0.0.1:9092
            processor:
              type: log
            """;

    @TempDir
    Path dir;

    private Path file(String yaml) throws IOException {
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    private FleetConfig load(String yaml) throws IOException {
        return FleetConfigLoader.load(file(yaml), Map.of(), Map.of());
    }

    @Test
    void theCompleteExampleLoads() {
        FleetConfig config = FleetConfigLoader.load(Path.of("../deploy/conf/kinesis-and-kafka.yaml"), Map.of(), Map.of());

        assertThat(config.application()).isEqualTo("orders-fleet");
        assertThat(config.zookeeper().sessionTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.checkpoints().endpoint()).contains(URI.create("http://127.0.0.1:8000"));
        assertThat(config.sources()).hasSize(2);
        FleetConfig.Kinesis kinesis = (FleetConfig.Kinesis) config.sources().get(0);
        assertThat(kinesis.initialPosition()).isEqualTo(Position.TRIM_HORIZON);
        assertThat(kinesis.idleWait()).isEqualTo(Duration.ofMillis(250));
        assertThat(kinesis.idleWaitMax()).isEqualTo(Duration.ofSeconds(1));
        assertThat(kinesis.maxReadsPerSecond()).isEqualTo(5.0);
        FleetConfig.Kafka kafka = (FleetConfig.Kafka) config.sources().get(1);
        assertThat(kafka.mirrorGroup()).contains("payments-fleet");
        assertThat(kafka.properties()).containsEntry("security.protocol", "PLAINTEXT");
        assertThat(config.processor().options()).containsEntry("path", "records-{worker}.jsonl");
        assertThat(config.status().port()).isEqualTo(8080);
        assertThat(config.processing()).isEqualTo(new FleetConfig.Processing(8, 4, Duration.ofSeconds(10), Duration.ofMinutes(5)));
    }

    @Test
    void processingSettingsAreCheckedAndCanBeOverridden() throws IOException {
        Path file = file(MINIMAL + "processing:\n  threads: 2\n");
        FleetConfig config = FleetConfigLoader.load(file, Map.of("STREAMFLEET_PROCESSING_DRAINTIMEOUT", "2.5s"),
                Map.of("processing.processorAttempts", "7"));
        assertThat(config.processing()).isEqualTo(new FleetConfig.Processing(2, 7, Duration.ofMillis(2500), Duration.ofMinutes(5)));
        assertThatThrownBy(() -> load(MINIMAL + "processing:\n  threads: 0\n"))
                .hasMessage("processing.threads: expected a number from 1 to 1024, got 0");
        assertThat(load(MINIMAL).processing()).isEqualTo(new FleetConfig.Processing(8, 4, Duration.ofSeconds(10), Duration.ofMinutes(5)));
    }

    @Test
    void aHungBatchEndsTheWorkerSixtySecondsPastTheDrainDeadlineUnlessConfiguredOtherwise() throws IOException {
        assertThat(load(MINIMAL).processing().stuckAfter()).isEqualTo(Duration.ofSeconds(60));
        assertThat(load(MINIMAL + "processing:\n  stuckAfter: 3s\n").processing().stuckAfter())
                .isEqualTo(Duration.ofSeconds(3));
        assertThat(FleetConfigLoader.load(file(MINIMAL), Map.of("STREAMFLEET_PROCESSING_STUCKAFTER", "1.5s"), Map.of())
                .processing().stuckAfter()).isEqualTo(Duration.ofMillis(1500));
        assertThat(FleetConfigLoader.load(file(MINIMAL), Map.of(), Map.of("processing.stuckAfter", "2m"))
                .processing().stuckAfter()).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void aHandOverDurationTooLongToScheduleIsRejectedInOneLineAtLoad() throws Exception {
        // It failed only at the first revoke, on the keeper's thread: drainTimeout + stuckAfter overflowed millis.
        assertThatThrownBy(() -> load(MINIMAL + "processing:\n  stuckAfter: 9223372036854775807ms\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("processing.stuckAfter: expected at most 24h, got 9223372036854775807ms");
        assertThatThrownBy(() -> load(MINIMAL + "processing:\n  drainTimeout: 25h\n"))
                .hasMessage("processing.drainTimeout: expected at most 24h, got 25h");
        assertThat(load(MINIMAL + "processing:\n  stuckAfter: 24h\n").processing().stuckAfter()).isEqualTo(Duration.ofDays(1));
    }

    @Test
    void aStuckAfterOfZeroOrNoDurationIsRejectedInOneLine() {
        // Zero would end a worker on every session blip that found a batch in hand.
        assertThatThrownBy(() -> load(MINIMAL + "processing:\n  stuckAfter: 0s\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("processing.stuckAfter: expected at least 1ms, got 0s");
        assertThatThrownBy(() -> load(MINIMAL + "processing:\n  stuckAfter: PT-5S\n"))
                .hasMessageStartingWith("processing.stuckAfter: expected at least 1ms");
        assertThatThrownBy(() -> load(MINIMAL + "processing:\n  stuckAfter: soon\n"))
                .hasMessage("processing.stuckAfter: expected " + Durations.FORMS + ", got 'soon'");
        assertThatThrownBy(() -> new FleetConfig.Processing(8, 4, Duration.ofSeconds(10), Duration.ZERO,
                Duration.ofMinutes(5), Parallelism.NONE, Optional.empty()))
                .hasMessage("stuckAfter must be positive, not PT0S");
    }

    @Test
    void aDeadLetterDestinationIsOneKafkaTopicOrOneKinesisStream() throws IOException {
        assertThat(load(MINIMAL).processing().deadLetter()).isEmpty();
        assertThat(load(MINIMAL + "processing:\n  deadLetter:\n    kafka:\n      topic: dlq\n"
                + "      bootstrapServers: k1:9092\n").processing().deadLetter())
                .contains(new FleetConfig.DeadLetterKafka("dlq", "k1:9092", Map.of()));
        assertThat(FleetConfigLoader.load(file(MINIMAL + "processing:\n  deadLetter:\n    kinesis:\n      stream: dlq\n"),
                Map.of("STREAMFLEET_PROCESSING_DEADLETTER_KINESIS_REGION", "eu-west-1"), Map.of())
                .processing().deadLetter()).contains(new FleetConfig.DeadLetterKinesis("dlq", "eu-west-1", Optional.empty()));
        assertThatThrownBy(() -> load(MINIMAL + "processing:\n  deadLetter: {}\n"))
                .hasMessage("processing.deadLetter: expected exactly one of 'kafka' or 'kinesis'");
    }

    @Test
    void parallelismAboveOneOrdersByKeyUnlessToldOtherwiseAndBoundsWhatIsInFlight() throws IOException {
        assertThat(load(MINIMAL).processing().parallelism()).isEqualTo(Parallelism.NONE);
        assertThat(load(MINIMAL + "processing:\n  parallelism: 16\n").processing().parallelism())
                .isEqualTo(new Parallelism(16, Ordering.KEY, 1_000));
        assertThat(load(MINIMAL + "processing:\n  parallelism: 64\n  ordering: none\n  maxInFlight: 5000\n")
                .processing().parallelism()).isEqualTo(new Parallelism(64, Ordering.NONE, 5_000));
        assertThatThrownBy(() -> load(MINIMAL + "processing:\n  parallelism: 4\n  ordering: random\n"))
                .hasMessage("processing.ordering: 'random' is not an ordering; use key, unit or none");
        assertThatThrownBy(() -> load(MINIMAL + "processing:\n  parallelism: 64\n  maxInFlight: 10\n"))
                .hasMessage("processing.maxInFlight: expected a number from 64 to 100000, got 10");
    }

    @Test
    void kinesisPollingBacksOffBetweenBoundsTheOperatorSets() throws IOException {
        String kinesis = MINIMAL.replace("  - kafka:\n      topic: t\n      bootstrapServers: 127.0.0.1:9092\n",
                "  - kinesis:\n      stream: s\n      region: us-east-1\n");
        FleetConfig.Kinesis defaults = (FleetConfig.Kinesis) load(kinesis).sources().get(0);
        assertThat(defaults.idleWaitMax()).isEqualTo(Duration.ofSeconds(1));
        FleetConfig.Kinesis slow = (FleetConfig.Kinesis) load(kinesis.replace("stream: s",
                "stream: s\n      idleWait: 2s\n      maxReadsPerSecond: 1.5")).sources().get(0);
        assertThat(slow.idleWaitMax()).as("never shorter than idleWait").isEqualTo(Duration.ofSeconds(2));
        assertThat(slow.maxReadsPerSecond()).isEqualTo(1.5);
        assertThatThrownBy(() -> load(kinesis.replace("stream: s", "stream: s\n      maxReadsPerSecond: 6")))
                .hasMessage("sources[0].kinesis.maxReadsPerSecond: expected a number from 0.1 to 5.0, got 6.0");
        assertThatThrownBy(() -> load(kinesis.replace("stream: s",
                "stream: s\n      idleWait: 2s\n      idleWaitMax: 1s")))
                .hasMessageStartingWith("sources[0].kinesis.idleWaitMax: 1000 ms is shorter than idleWait (2000 ms)");
    }

    @Test
    void aFanOutReaderIsNamedAfterTheApplicationUnlessToldAndAConsumerNeedsAFanOutReader() throws IOException {
        String kinesis = MINIMAL.replace("  - kafka:\n      topic: t\n      bootstrapServers: 127.0.0.1:9092\n",
                "  - kinesis:\n      stream: s\n      region: us-east-1\n");
        assertThat(((FleetConfig.Kinesis) load(kinesis).sources().get(0)).fanOut()).as("polling by default").isEmpty();
        FleetConfig.Kinesis fanOut = (FleetConfig.Kinesis) load(kinesis.replace("stream: s", "stream: s\n      reader: fanout"))
                .sources().get(0);
        assertThat(fanOut.fanOut()).contains(dev.streamfleet.worker.config.FanOut.named("app"));
        FleetConfig.Kinesis byArn = (FleetConfig.Kinesis) load(kinesis.replace("stream: s",
                "stream: s\n      reader: fanout\n      consumerArn: arn:aws:kinesis:us-east-1:1:stream/s/consumer/c:1")).sources().get(0);
        assertThat(byArn.fanOut().orElseThrow().consumerArn()).contains("arn:aws:kinesis:us-east-1:1:stream/s/consumer/c:1");

        assertThatThrownBy(() -> load(kinesis.replace("stream: s", "stream: s\n      reader: push")))
                .hasMessage("sources[0].kinesis.reader: expected 'polling' or 'fanout', got 'push'");
        assertThatThrownBy(() -> load(kinesis.replace("stream: s", "stream: s\n      consumerName: c")))
                .hasMessage("sources[0].kinesis.consumerName: only a fan-out reader has a stream consumer;"
                        + " set sources[0].kinesis.reader: fanout");
        assertThatThrownBy(() -> load(kinesis.replace("stream: s", "stream: s\n      reader: fanout\n      consumerArn: c")))
                .hasMessageStartingWith("sources[0].kinesis.consumerArn: expected a stream consumer ARN");
        FleetConfig.Kinesis fromEnvironment = (FleetConfig.Kinesis) FleetConfigLoader.load(file(kinesis),
                Map.of("STREAMFLEET_SOURCES_0_KINESIS_READER", "fanout"), Map.of()).sources().get(0);
        assertThat(fromEnvironment.fanOut()).isPresent();
    }

    @Test
    void capacityAndBalancingAreCheckedWithTheirKeys() throws IOException {
        FleetConfig defaults = load(MINIMAL);
        assertThat(defaults.worker().capacity()).isEqualTo(1);
        assertThat(defaults.balancing()).isEqualTo(dev.streamfleet.coordinator.Balancing.DEFAULT);

        FleetConfig config = FleetConfigLoader.load(file(MINIMAL + "worker:\n  capacity: 2\nbalancing:\n  trigger: 1.5\n"
                        + "  weights:\n    kafka/t/3: 2.5\n"), Map.of("STREAMFLEET_BALANCING_MINSTAY", "1m"), Map.of());
        assertThat(config.worker().capacity()).isEqualTo(2);
        assertThat(config.balancing().policy().trigger()).isEqualTo(1.5);
        assertThat(config.balancing().policy().minStay()).isEqualTo(Duration.ofMinutes(1));
        assertThat(config.balancing().weights()).containsEntry(dev.streamfleet.core.UnitId.kafka("t", 3), 2.5);

        assertThatThrownBy(() -> load(MINIMAL + "balancing:\n  trigger: 1.05\n  target: 1.2\n"))
                .hasMessageStartingWith("balancing.target: 1.2 is above balancing.trigger (1.05)");
        assertThatThrownBy(() -> load(MINIMAL + "balancing:\n  weights:\n    orders-3: 2\n"))
                .hasMessageStartingWith("balancing.weights.orders-3: not a unit id");
        assertThatThrownBy(() -> load(MINIMAL + "balancing:\n  weights:\n    kafka/t/3: heavy\n"))
                .hasMessage("balancing.weights.kafka/t/3: expected a number, got 'heavy'");
        assertThatThrownBy(() -> load(MINIMAL + "worker:\n  capacity: 0\n"))
                .hasMessage("worker.capacity: expected a number from 1 to 1000, got 0");
    }

    @Test
    void theCompleteExampleListsEveryKeySoThatNoSettingIsUndocumented() throws IOException {
        String example = Files.readString(Path.of("../deploy/conf/kinesis-and-kafka.yaml"));
        java.util.List<String> keys = new java.util.ArrayList<>();
        ConfigOverrides.SCALARS.forEach(key -> keys.add(key.substring(key.lastIndexOf('.') + 1)));
        keys.addAll(ConfigOverrides.KINESIS_KEYS);
        keys.addAll(ConfigOverrides.KAFKA_KEYS);
        keys.addAll(java.util.List.of("auth", "properties", "options", "sources", "kinesis", "kafka", "processing",
                "worker", "balancing", "weights"));
        assertThat(keys).allSatisfy(key -> assertThat(example).containsPattern("(?m)^\\s*#?\\s*(- )?" + key + ":"));
    }

    @Test
    void defaultsFillWhatAMinimalFileLeavesOut() throws IOException {
        FleetConfig config = load(MINIMAL);

        assertThat(config.checkpoints().table()).isEqualTo("streamfleet-checkpoints");
        assertThat(config.checkpoints().interval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.status()).isEqualTo(new FleetConfig.Status("127.0.0.1", 0));
        assertThat(((FleetConfig.Kafka) config.sources().get(0)).initialPosition()).isEqualTo(Position.LATEST);
        assertThat(((FleetConfig.Kafka) config.sources().get(0)).mirrorGroup()).isEqualTo(Optional.empty());
    }

    @Test
    void misspelledKeyIsNamedWithItsPath() {
        assertThatThrownBy(() -> load(MINIMAL.replace("connect:", "conect:")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("unknown key 'zookeeper.conect'");
    }

    @Test
    void wrongTypeIsNamedWithItsPathAndValue() {
        assertThatThrownBy(() -> load(MINIMAL.replace("connect: 127.0.0.1:2181", "connect: 127.0.0.1:2181\n  sessionTimeout: ten")))
                .hasMessage("zookeeper.sessionTimeout: expected a duration such as 500ms, 10s, 1.5s, 2m, 1h or PT10S, got 'ten'");
        assertThatThrownBy(() -> load(MINIMAL + "status:\n  port: http\n"))
                .hasMessage("status.port: expected a whole number, got 'http'");
    }

    @Test
    void missingRequiredValueIsNamed() {
        assertThatThrownBy(() -> load(MINIMAL.replace("  region: us-east-1\n", "  table: t1x\n")))
                .hasMessage("checkpoints.region: no AWS region; set it in the configuration, or set AWS_REGION in the"
                        + " environment (or a region in the AWS profile)");
        assertThatThrownBy(() -> load(MINIMAL.replace("application: app\n", "")))
                .hasMessage("missing required key 'application'");
    }

    @Test
    void sourceMustBeExactlyOneKind() {
        assertThatThrownBy(() -> load(MINIMAL.replace("  - kafka:", "  - pulsar:")))
                .hasMessageStartingWith("unknown key 'sources[0].pulsar'");
    }

    @Test
    void containersSetTheStatusAddressAndProxyModeThroughTheEnvironment() throws IOException {
        FleetConfig config = FleetConfigLoader.load(file(MINIMAL), Map.of("STREAMFLEET_STATUS_BIND", "0.0.0.0",
                "STREAMFLEET_STATUS_ADVERTISE", "10.1.2.3", "STREAMFLEET_STATUS_LEADERPAGE", "proxy"), Map.of());

        assertThat(config.status()).isEqualTo(new FleetConfig.Status("0.0.0.0", 0, "10.1.2.3", FleetConfig.LeaderPage.PROXY, false));
    }

    @Test
    void jmxIsOffUnlessSwitchedOnAndAnythingButTrueOrFalseIsNamed() throws IOException {
        assertThat(load(MINIMAL).status().jmx()).isFalse();
        assertThat(load(MINIMAL + "status:\n  jmx: true\n").status().jmx()).isTrue();
        assertThat(FleetConfigLoader.load(file(MINIMAL), Map.of("STREAMFLEET_STATUS_JMX", "true"), Map.of()).status().jmx())
                .isTrue();
        assertThatThrownBy(() -> load(MINIMAL + "status:\n  jmx: yes please\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("status.jmx: expected true or false, got 'yes please'");
    }

    @Test
    void unknownLeaderPageModeIsNamedWithTheChoices() {
        assertThatThrownBy(() -> load(MINIMAL + "status:\n  leaderPage: forward\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("status.leaderPage: expected 'redirect' or 'proxy', got 'forward'");
    }

    @Test
    void flagsWinOverEnvironmentWhichWinsOverTheFile() throws IOException {
        Path file = file(MINIMAL);

        FleetConfig fromEnv = FleetConfigLoader.load(file, Map.of("STREAMFLEET_ZOOKEEPER_CONNECT", "10.0.0.1:2181",
                "STREAMFLEET_STATUS_PORT", "9090"), Map.of());
        FleetConfig fromFlag = FleetConfigLoader.load(file, Map.of("STREAMFLEET_ZOOKEEPER_CONNECT", "10.0.0.1:2181"),
                Map.of("zookeeper.connect", "10.0.0.2:2181"));

        assertThat(fromEnv.zookeeper().connect()).isEqualTo("10.0.0.1:2181");
        assertThat(fromEnv.status().port()).isEqualTo(9090);
        assertThat(fromFlag.zookeeper().connect()).isEqualTo("10.0.0.2:2181");
    }

    @Test
    void zooKeeperCredentialsComeFromTheFileOrTheEnvironmentAndNeverPrintTheirPassword() throws IOException {
        Path file = file(MINIMAL.replace("connect: 127.0.0.1:2181", "connect: 127.0.0.1:2181\n  auth:\n    username: orders"));

        FleetConfig config = FleetConfigLoader.load(file, Map.of("STREAMFLEET_ZOOKEEPER_AUTH_PASSWORD", "s3cret"), Map.of());

        assertThat(config.zookeeper().credentials()).hasValueSatisfying(c -> {
            assertThat(c.username()).isEqualTo("orders");
            assertThat(c.password()).isEqualTo("s3cret");
            assertThat(c.toString()).doesNotContain("s3cret");
        });
        assertThat(config.toString()).doesNotContain("s3cret");
        assertThatThrownBy(() -> FleetConfigLoader.load(file, Map.of(), Map.of()))
                .hasMessage("missing required key 'zookeeper.auth.password'");
    }

    @Test
    void flagForAnUnknownKeyIsRejected() throws IOException {
        Path file = file(MINIMAL);
        assertThatThrownBy(() -> FleetConfigLoader.load(file, Map.of(), Map.of("zookeeper.conect", "x")))
                .hasMessageStartingWith("--set zookeeper.conect: not a key that can be overridden");
    }

    @Test
    void invalidYamlAndMissingFileAreOneLine() throws IOException {
        assertThatThrownBy(() -> load("application: [unclosed\n")).hasMessageContaining("not valid YAML")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThatThrownBy(() -> FleetConfigLoader.load(dir.resolve("nope.yaml"), Map.of(), Map.of()))
                .hasMessageEndingWith("nope.yaml does not exist");
    }

    @Test
    void badApplicationNameAndInitialPositionAreRejected() {
        assertThatThrownBy(() -> load(MINIMAL.replace("application: app", "application: a/b")))
                .hasMessageStartingWith("application: invalid application name 'a/b'");
        assertThatThrownBy(() -> load(MINIMAL.replace("bootstrapServers: 127.0.0.1:9092",
                "bootstrapServers: 127.0.0.1:9092\n      initialPosition: EARLIEST")))
                .hasMessageStartingWith("sources[0].kafka.initialPosition: expected TRIM_HORIZON, LATEST");
    }

    @Test
    void aRegionLeftOutComesFromTheSdkChainAskedOnceOrIsNamedWithBothWaysToSetIt() throws IOException {
        String noRegions = """
                application: app
                zookeeper:
                  connect: 127.0.0.1:2181
                checkpoints:
                  table: t1x
                sources:
                  - kinesis:
                      stream: s
                processor:
                  type: log
                """;
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        FleetConfig config = FleetConfigLoader.load(file(noRegions), Map.of(), Map.of(), () -> {
            asked.incrementAndGet();
            return Optional.of("eu-west-1");
        });
        assertThat(config.checkpoints().region()).isEqualTo("eu-west-1");
        assertThat(((FleetConfig.Kinesis) config.sources().get(0)).region()).isEqualTo("eu-west-1");
        assertThat(asked).hasValue(1);
        assertThatThrownBy(() -> FleetConfigLoader.load(file(noRegions), Map.of(), Map.of(), Optional::empty))
                .isInstanceOf(ConfigException.class).hasMessageContaining("AWS_REGION").hasMessageContaining("configuration");
        assertThat(FleetConfigLoader.load(file(MINIMAL), Map.of(), Map.of(), () -> {
            throw new AssertionError("a region in the file needs no fallback");
        }).checkpoints().region()).isEqualTo("us-east-1");
    }

    @Test
    void durationsTakeFractionsAndIso8601() throws IOException {
        FleetConfig config = load(MINIMAL.replace("connect: 127.0.0.1:2181", "connect: 127.0.0.1:2181\n  sessionTimeout: 1.5s")
                .replace("  region: us-east-1", "  region: us-east-1\n  interval: PT10S"));
        assertThat(config.zookeeper().sessionTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(config.checkpoints().interval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(Durations.parse("pt1m30s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1.5s");
        assertThat(Durations.format(Duration.ofSeconds(60))).isEqualTo("1m");
    }

    @Test
    void constraintsThatWouldFailLateAreRejectedAtLoadWithTheKeysPath() {
        assertThatThrownBy(() -> load(MINIMAL.replace("connect: 127.0.0.1:2181", "connect: 127.0.0.1:2181\n  sessionTimeout: 0s")))
                .isInstanceOf(ConfigException.class).hasMessage("zookeeper.sessionTimeout: expected at least 1ms, got 0s");
        assertThatThrownBy(() -> load(MINIMAL.replace("connect: 127.0.0.1:2181", "connect: 127.0.0.1:2181\n  sessionTimeout: PT-5S")))
                .hasMessageStartingWith("zookeeper.sessionTimeout: expected at least 1ms");
        assertThatThrownBy(() -> load(MINIMAL.replace("  region: us-east-1", "  region: us-east-1\n  table: ''")))
                .hasMessage("checkpoints.table: expected a non-empty text value");
        assertThatThrownBy(() -> load(MINIMAL.replace("  region: us-east-1", "  region: us-east-1\n  table: ab")))
                .hasMessageStartingWith("checkpoints.table: invalid DynamoDB table name 'ab'");
        assertThatThrownBy(() -> load(MINIMAL.replace("connect: 127.0.0.1:2181", "connect: zk1")))
                .hasMessageStartingWith("zookeeper.connect: expected host:port");
        assertThatThrownBy(() -> load(MINIMAL.replace("bootstrapServers: 127.0.0.1:9092", "bootstrapServers: broker:99999")))
                .hasMessageStartingWith("sources[0].kafka.bootstrapServers: expected host:port");
        assertThatCode(() -> load(MINIMAL.replace("connect: 127.0.0.1:2181", "connect: zk1:2181,zk2:2181/apps"))).doesNotThrowAnyException();
    }

    @Test
    void sourcesAndProcessorOptionsCanBeOverriddenSoThatAFileNeedsNoHandEditing() throws IOException {
        Path file = file(MINIMAL.replace("processor:\n  type: log\n", "processor:\n  type: jsonl\n  options:\n    path: a.jsonl\n")
                + "  # end\n");
        Map<String, String> environment = Map.of("STREAMFLEET_SOURCES_0_KAFKA_BOOTSTRAPSERVERS", "127.0.0.1:19092",
                "STREAMFLEET_SOURCES_0_KAFKA_PROPERTIES_SECURITY_PROTOCOL", "SSL",
                "STREAMFLEET_PROCESSOR_OPTIONS_PATH", "from-env.jsonl");
        FleetConfig config = FleetConfigLoader.load(file, environment, Map.of("sources[0].kafka.topic", "other"));
        FleetConfig.Kafka kafka = (FleetConfig.Kafka) config.sources().get(0);
        assertThat(kafka.bootstrapServers()).isEqualTo("127.0.0.1:19092");
        assertThat(kafka.topic()).isEqualTo("other");
        assertThat(kafka.properties()).containsEntry("security.protocol", "SSL");
        assertThat(config.processor().options()).containsEntry("path", "from-env.jsonl");
        assertThat(FleetConfigLoader.load(file, environment, Map.of("processor.options.path", "flag.jsonl"))
                .processor().options()).containsEntry("path", "flag.jsonl");
        assertThatThrownBy(() -> FleetConfigLoader.load(file, Map.of(), Map.of("sources[1].kafka.topic", "x")))
                .hasMessage("--set sources[1].kafka.topic: the configuration lists 1 source(s), so there is no sources[1]");
        assertThatThrownBy(() -> FleetConfigLoader.load(file, Map.of(), Map.of("sources[0].kinesis.stream", "x")))
                .hasMessage("--set sources[0].kinesis.stream: sources[0] is not a kinesis source");
        assertThatThrownBy(() -> FleetConfigLoader.load(file, Map.of(), Map.of("sources[0].kafka.topik", "x")))
                .hasMessageStartingWith("--set sources[0].kafka.topik: a kafka source has no key 'topik'");
    }

    @Test
    void aMisspelledEnvironmentVariableIsWarnedAboutWithTheNearestKey() {
        assertThat(FleetConfigLoader.unknownVariables(Map.of("STREAMFLEET_ZOOKEEPER_CONECT", "x",
                "STREAMFLEET_ZOOKEEPER_CONNECT", "y", "STREAMFLEET_CLASSPATH", "/x", "STREAMFLEET_SOURCES_2_KINESIS_ENDPOINT", "z",
                "STREAMFLEET_PROCESSOR_OPTIONS_PATH", "p", "PATH", "/bin", "STREAMFLEET_CDS", "off", "STREAMFLEET_CDS_DIR", "/c")))
                .containsExactly("environment variable STREAMFLEET_ZOOKEEPER_CONECT sets no configuration key and is"
                        + " ignored; did you mean STREAMFLEET_ZOOKEEPER_CONNECT?");
        assertThat(FleetConfigLoader.unknownVariables(Map.of("STREAMFLEET_SOURCES_0_KINESIS_ENDPIONT", "x")))
                .singleElement().asString().endsWith("did you mean STREAMFLEET_SOURCES_0_KINESIS_ENDPOINT?");
    }

    @Test
    void aConfigurationAnApplicationWritesInCodeIsCheckedLikeAFile() {
        String yaml = """
                application: orders
                zookeeper:
                  connect: 127.0.0.1:2181
                checkpoints:
                  table: orders-checkpoints
                  region: eu-west-1
                sources:
                  - kafka:
                      topic: orders
                      bootstrapServers: 127.0.0.1:9092
                """;

        FleetConfig config = FleetConfigLoader.fromYaml(yaml);

        assertThat(config.application()).isEqualTo("orders");
        assertThat(config.processor().type()).as("given in code instead").isEmpty();
        assertThatThrownBy(() -> FleetConfigLoader.fromYaml(yaml.replace("  table:", "  tabel:")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("checkpoints.tabel");
        assertThatThrownBy(() -> FleetConfigLoader.fromYaml("application: [orders"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("the configuration: not valid YAML");
    }
}
