package dev.streamfleet.it.dist;

import dev.streamfleet.it.Installation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The example processor project, {@code examples/key-counts}, built and run the way its README
 * says: {@code mvn package} against the streamfleet artifacts of this build (put into a Maven
 * repository of the test's own, as {@code mvn install} would put them into the user's; everything
 * else comes from the user's repository as if it were a remote one, so nothing is downloaded and
 * the user's repository is not touched), then {@code run-local.sh} with the archive of this build.
 */
class ExampleProjectIT {

    private static final Path REPOSITORY_ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Duration BUILD = Duration.ofMinutes(5);
    private static final Duration RUN = Duration.ofMinutes(6);
    private static final Pattern RECORDS = Pattern.compile("\"records\":(\\d+)");

    @Test
    void theExampleBuildsAgainstTheInstalledArtifactsAndCountsEveryRecordOnTheLocalStackFromTheExtensionDirectory()
            throws Exception {
        Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target", "example-it").toAbsolutePath()), "run");
        Path project = copy(REPOSITORY_ROOT.resolve("examples/key-counts"), dir.resolve("key-counts"));
        Path settings = mavenSettings(dir);

        Path buildLog = dir.resolve("mvn-package.log");
        int built = run(List.of("mvn", "-B", "-q", "-s", settings.toString(), "-f", project.resolve("pom.xml").toString(),
                "package"), Map.of(), buildLog, BUILD);
        assertThat(built).as(Files.readString(buildLog)).isZero();
        assertThat(project.resolve("target/key-counts-1.0.jar")).isRegularFile();

        Path work = dir.resolve("work");
        Path runLog = dir.resolve("run-local.log");
        int ran = run(List.of(project.resolve("run-local.sh").toString()), Map.of(
                "STREAMFLEET", Installation.withDevTools().launcher().toString(),
                "WORK_DIR", work.toString(),
                "JAVA_OPTS", "-Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"), runLog, RUN);
        String output = Files.readString(runLog);
        assertThat(ran).as(output).isZero();
        assertThat(output).contains("counted 1000 records").contains("kinesis/orders/shardId-000000000000")
                .contains("kinesis/orders/shardId-000000000001");

        // The counts on disk: every record counted once (no crash, so no batch twice), by the example's processor.
        long counted = 0;
        try (Stream<Path> files = Files.list(work)) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith("counts-")).toList()) {
                Matcher records = RECORDS.matcher(Files.readString(file));
                while (records.find()) {
                    counted += Long.parseLong(records.group(1));
                }
            }
        }
        assertThat(counted).isEqualTo(1000);
        assertThat(Files.readString(work.resolve("worker.log"))).as("the worker stopped gracefully")
                .contains("stopped");
    }

    /** A copy of the example without any build output of an earlier run. */
    private static Path copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : files.filter(f -> !from.relativize(f).startsWith("target")).toList()) {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        return to;
    }

    /**
     * Settings whose local repository holds this build's streamfleet artifacts and whose only
     * remote repository is the user's local one.
     */
    private static Path mavenSettings(Path dir) throws IOException {
        Path repository = dir.resolve("repository");
        String version = Installation.version();
        install(repository, "streamfleet-parent", version, REPOSITORY_ROOT.resolve("pom.xml"), null);
        install(repository, "streamfleet-bom", version, REPOSITORY_ROOT.resolve("bom/pom.xml"), null);
        for (String module : List.of("checkpoint", "coordinator", "worker")) {
            Path base = REPOSITORY_ROOT.resolve(module);
            install(repository, "streamfleet-" + module, version, base.resolve("pom.xml"),
                    base.resolve("target/streamfleet-" + module + "-" + version + ".jar"));
            // A library ships its sources and its API's javadoc, without the internal packages.
            for (String classifier : List.of("sources", "javadoc")) {
                Path jar = base.resolve("target/streamfleet-" + module + "-" + version + "-" + classifier + ".jar");
                assertThat(jar).isRegularFile();
                Files.copy(jar, repository.resolve("dev/streamfleet/streamfleet-" + module + "/" + version + "/"
                        + jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
            try (java.util.zip.ZipFile javadoc = new java.util.zip.ZipFile(base.resolve("target/streamfleet-" + module
                    + "-" + version + "-javadoc.jar").toFile())) {
                assertThat(javadoc.stream().map(java.util.zip.ZipEntry::getName).filter(n -> n.endsWith("package-summary.html")))
                        .isNotEmpty().noneMatch(name -> name.contains("/internal/"));
            }
        }
        Path userRepository = Path.of(System.getProperty("user.home"), ".m2", "repository");
        Path settings = dir.resolve("settings.xml");
        Files.writeString(settings, """
                <settings>
                  <localRepository>%s</localRepository>
                  <mirrors>
                    <mirror>
                      <id>user-repository</id>
                      <mirrorOf>*</mirrorOf>
                      <url>%s</url>
                    </mirror>
                  </mirrors>
                </settings>
                """.formatted(repository, userRepository.toUri()), StandardCharsets.UTF_8);
        return settings;
    }

    private static void install(Path repository, String artifact, String version, Path pom, Path jar) throws IOException {
        Path directory = Files.createDirectories(repository.resolve("dev/streamfleet").resolve(artifact).resolve(version));
        Files.copy(pom, directory.resolve(artifact + "-" + version + ".pom"), StandardCopyOption.REPLACE_EXISTING);
        if (jar != null) {
            assertThat(jar).as("built by this run").isRegularFile();
            Files.copy(jar, directory.resolve(artifact + "-" + version + ".jar"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static int run(List<String> command, Map<String, String> environment, Path log, Duration timeout)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        builder.environment().remove("MAVEN_OPTS");
        builder.environment().put("AWS_ACCESS_KEY_ID", "local");
        builder.environment().put("AWS_SECRET_ACCESS_KEY", "local");
        builder.environment().put("AWS_EC2_METADATA_DISABLED", "true");
        builder.environment().putAll(environment);
        Process process = builder.start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            // The script stops what it started on SIGTERM; the JVMs it started die with their parent's stack anyway.
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            throw new AssertionError(command.get(0) + " did not finish within " + timeout + ":\n" + Files.readString(log));
        }
        return process.exitValue();
    }
}
