package dev.streamfleet.worker.embed;

import dev.streamfleet.worker.config.ConfigException;
import dev.streamfleet.worker.config.FleetConfig;
import dev.streamfleet.worker.config.FleetConfigLoader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WorkerBuilderTest {

    @TempDir
    Path dir;

    /** Servers nobody listens on: the checks must come before anything connects. */
    private FleetConfig config(String processor) throws Exception {
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, """
                application: orders
                zookeeper:
                  connect: 127.0.0.1:1
                checkpoints:
                  table: orders-checkpoints
                  region: us-east-1
                  endpoint: http://127.0.0.1:1
                sources:
                  - kinesis:
                      stream: orders
                      region: us-east-1
                      endpoint: http://127.0.0.1:1
                %s""".formatted(processor));
        return FleetConfigLoader.load(file, Map.of(), Map.of());
    }

    @Test
    void aWorkerWithNoProcessorInCodeOrConfigurationIsRefusedBeforeItConnectsAnywhere() throws Exception {
        assertThatThrownBy(() -> Streamfleet.worker().config(config("")).statusEndpoints(false).start())
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("processor.type: missing; name log, jsonl or your processor's class")
                .hasMessageContaining("Streamfleet.worker().processor(");
    }

    @Test
    void aProcessorClassThatCannotBeFoundIsNamedBeforeItConnectsAnywhere() throws Exception {
        assertThatThrownBy(() -> Streamfleet.worker().config(config("processor:\n  type: com.example.Missing\n")).start())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("processor 'com.example.Missing' is neither log, jsonl nor a class on the classpath");
    }

    @Test
    void startingWithoutAConfigurationSaysSo() {
        assertThatThrownBy(() -> Streamfleet.worker().processor(unit -> (batch, checkpointer) -> { }).start())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("config(");
    }
}
