package dev.streamfleet.it.dist;

import dev.streamfleet.it.Installation;
import dev.streamfleet.it.cli.WorkerProcess;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The README's path from the demo to your own fleet, run as written: {@code local-stack} creates a
 * stream and a topic and writes a ready configuration, two workers of the production archive
 * start with that same file, and {@code produce} writes to both sources; every record lands in
 * one of the two workers' own files, and the workers and the stack stop cleanly.
 */
class OwnFleetIT {

    private static final Pattern ID = Pattern.compile("\\\\\"id\\\\\":\\\\\"([^\\\\\"]+)\\\\\"");
    private static final Duration WAIT = Duration.ofMinutes(3);

    @Test
    void aConfigurationWrittenByTheLocalStackStartsTwoWorkersWithoutEditing() throws Exception {
        Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target", "own-fleet-it").toAbsolutePath()), "run");
        Path config = dir.resolve("fleet.yaml");
        Path stackLog = dir.resolve("local-stack.txt");
        ProcessBuilder builder = new ProcessBuilder(Installation.withDevTools().launcher().toString(), "local-stack",
                "--dir", dir.resolve("stack").toString(), "--stream", "orders:2", "--topic", "payments:2",
                "--write-config", config.toString()).redirectErrorStream(true).redirectOutput(stackLog.toFile());
        builder.environment().put("JAVA_OPTS", "-Xmx384m -XX:+UseSerialGC");
        Process stack = builder.start();
        try {
            await().atMost(WAIT).pollInterval(Duration.ofMillis(250)).until(() -> !stack.isAlive()
                    || Files.readString(stackLog).contains("ready; press Ctrl-C to stop"));
            String printed = Files.readString(stackLog);
            assertThat(stack.isAlive()).as(printed).isTrue();
            assertThat(printed).contains("stream     orders (2 shards)").contains("topic      payments (2 partitions)")
                    .contains("config     " + config);
            assertThat(Files.readString(config)).contains("records-{worker}.jsonl");

            try (WorkerProcess a = WorkerProcess.start(dir.resolve("a.log"), Map.of(), "worker", "--config", config.toString());
                 WorkerProcess b = WorkerProcess.start(dir.resolve("b.log"), Map.of(), "worker", "--config", config.toString())) {
                for (String source : List.of("orders", "payments")) {
                    try (WorkerProcess produce = WorkerProcess.start(dir.resolve("produce-" + source + ".log"), Map.of(),
                            "produce", "--config", config.toString(), "--source", source, "--rate", "100", "--count", "200")) {
                        assertThat(produce.waitFor(Duration.ofMinutes(2))).as(produce.output()).isZero();
                    }
                }
                await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() -> ids(dir).size() >= 400);
                assertThat(ids(dir)).hasSize(400);
                assertThat(jsonlFiles(dir)).as("each worker writes its own file").hasSize(2);
                a.terminate();
                b.terminate();
                assertThat(a.waitFor(Duration.ofSeconds(60))).as(a.output()).isZero();
                assertThat(b.waitFor(Duration.ofSeconds(60))).as(b.output()).isZero();
            }
        } finally {
            stack.destroy();
            if (!stack.waitFor(60, TimeUnit.SECONDS)) {
                stack.descendants().forEach(ProcessHandle::destroyForcibly);
                stack.destroyForcibly();
            }
        }
        assertThat(stack.exitValue()).as(Files.readString(stackLog)).isZero();
    }

    private static List<Path> jsonlFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(file -> file.getFileName().toString().matches("records-.+\\.jsonl")).toList();
        }
    }

    private static Set<String> ids(Path dir) throws IOException {
        Set<String> ids = new HashSet<>();
        for (Path file : jsonlFiles(dir)) {
            for (String line : Files.readAllLines(file)) {
                Matcher matcher = ID.matcher(line);
                if (matcher.find()) {
                    ids.add(matcher.group(1));
                }
            }
        }
        return ids;
    }
}
