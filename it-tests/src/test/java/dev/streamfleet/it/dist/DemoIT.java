package dev.streamfleet.it.dist;

import dev.streamfleet.it.Installation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bin/streamfleet demo}, run from the archive with the development tools exactly as the
 * README tells a new user to run it: it must process every record it produced, and a worker
 * that dies must be reported at once with its error and fail the run.
 */
class DemoIT {

    private static final Installation INSTALLATION = Installation.withDevTools();
    private static final Pattern SUMMARY = Pattern.compile(
            "summary: (\\w+): produced (\\d+), processed (\\d+) \\((\\d+) missing.*, workers (\\d+) started, (\\d+) died");

    @Test
    void demoProcessesEveryRecordItProducedAndExitsZero() throws Exception {
        Path dir = directory("complete");
        Process demo = start(dir, "--duration", "60s");
        String output;
        try {
            output = awaitExit(demo, dir, Duration.ofMinutes(5));
        } finally {
            stop(demo);
        }

        assertThat(demo.exitValue()).as(output).isZero();
        assertThat(output).contains("status page: http://127.0.0.1:");
        Matcher summary = summaryOf(output);
        assertThat(summary.group(1)).isEqualTo("ok");
        long produced = Long.parseLong(summary.group(2));
        assertThat(produced).as("50 records/s for about a minute").isGreaterThan(1_000);
        assertThat(Long.parseLong(summary.group(3))).isEqualTo(produced);
        assertThat(summary.group(5)).isEqualTo("3");
        assertThat(summary.group(6)).isEqualTo("0");
        assertThat(output).doesNotContain("exited unexpectedly").doesNotContain("\tat ");
        // The workers ran the installation's own launcher and handed their units over on the way out.
        for (int worker = 1; worker <= 3; worker++) {
            assertThat(Files.readString(dir.resolve("demo").resolve("worker-" + worker + ".log"))).contains(" joined fleet demo ")
                    .contains("stopped").doesNotContain("NoClassDefFoundError");
        }
    }

    @Test
    void aWorkerThatDiesIsReportedAtOnceWithItsErrorAndFailsTheRun() throws Exception {
        Path dir = directory("death");
        Process demo = start(dir, "--duration", "120s", "--workers", "2");
        try {
            killAWorkerAndExpectTheReport(demo, dir);
        } finally {
            stop(demo);
        }
    }

    private static void killAWorkerAndExpectTheReport(Process demo, Path dir) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        Optional<ProcessHandle> worker = Optional.empty();
        while (worker.isEmpty() && demo.isAlive() && System.nanoTime() < deadline) {
            if (Files.readString(dir.resolve("demo.txt")).contains("status page: http://")) {
                worker = demo.toHandle().descendants()
                        .filter(child -> child.info().commandLine().orElse("").contains(" worker --config ")).findFirst();
            }
            Thread.sleep(250);
        }
        assertThat(worker).as(Files.readString(dir.resolve("demo.txt"))).isPresent();
        long pid = worker.get().pid();
        worker.get().destroyForcibly();

        String output = awaitExit(demo, dir, Duration.ofMinutes(2));
        assertThat(demo.exitValue()).as(output).isEqualTo(1);
        assertThat(output).containsPattern("worker \\d \\(pid " + pid + "\\) exited unexpectedly with code 137: ");
        assertThat(output).doesNotContain("summary: ok");
    }

    private static Path directory(String name) throws IOException {
        Path root = Files.createDirectories(Path.of("target", "demo-it").toAbsolutePath());
        return Files.createTempDirectory(root, name);
    }

    private static Process start(Path dir, String... options) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of(INSTALLATION.launcher().toString(), "demo",
                "--dir", dir.resolve("demo").toString()));
        command.addAll(List.of(options));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("demo.txt").toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("AWS_") || name.startsWith("STREAMFLEET_"));
        builder.environment().put("AWS_EC2_METADATA_DISABLED", "true");
        builder.environment().put("JAVA_OPTS", "-Xmx512m -XX:+UseSerialGC");
        return builder.start();
    }

    private static String awaitExit(Process demo, Path dir, Duration timeout) throws Exception {
        if (!demo.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            stop(demo);
            throw new AssertionError("the demo did not end within " + timeout + ":\n" + output(dir));
        }
        return output(dir);
    }

    /** SIGTERM, so the demo stops its workers and servers itself; bounded, then SIGKILL. */
    private static void stop(Process demo) throws InterruptedException {
        if (demo.isAlive()) {
            demo.destroy();
            if (!demo.waitFor(60, TimeUnit.SECONDS)) {
                demo.descendants().forEach(ProcessHandle::destroyForcibly);
                demo.destroyForcibly();
            }
        }
    }

    private static String output(Path dir) throws IOException {
        return Files.readString(dir.resolve("demo.txt"), StandardCharsets.UTF_8);
    }

    private static Matcher summaryOf(String output) {
        Matcher matcher = SUMMARY.matcher(output);
        assertThat(matcher.find()).as("a summary line in:\n" + output).isTrue();
        return matcher;
    }
}
