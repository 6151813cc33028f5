package dev.streamfleet.worker.config;

import dev.streamfleet.core.Position;

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
        FleetConfig.Kafka kafka = (FleetConfig.Kafka) config.sources().get(1);
        assertThat(kafka.mirrorGroup()).contains("payments-fleet");
        assertThat(kafka.properties()).containsEntry("security.protocol", "PLAINTEXT");
        assertThat(config.processor().options()).containsEntry("path", "records.jsonl");
        assertThat(config.status().port()).isEqualTo(8080);
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
                .hasMessage("zookeeper.sessionTimeout: expected a duration such as 500ms, 10s, 2m or 1h, got 'ten'");
        assertThatThrownBy(() -> load(MINIMAL + "status:\n  port: http\n"))
                .hasMessage("status.port: expected a whole number, got 'http'");
    }

    @Test
    void missingRequiredValueIsNamed() {
        assertThatThrownBy(() -> load(MINIMAL.replace("  region: us-east-1\n", "  table: t1\n")))
                .hasMessage("missing required key 'checkpoints.region'");
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

        assertThat(config.status()).isEqualTo(new FleetConfig.Status("0.0.0.0", 0, "10.1.2.3", FleetConfig.LeaderPage.PROXY));
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
                .hasMessageStartingWith("--set zookeeper.conect: not a key that can be set");
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
}
