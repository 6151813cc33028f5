package dev.streamfleet.cli;

import dev.streamfleet.deploy.kafka.BrokerClasspath;
import dev.streamfleet.deploy.localstack.LocalStack;
import dev.streamfleet.deploy.localstack.LocalStackConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The archive users download: unpacked into a fresh directory, it has the documented layout and
 * its launcher works from anywhere, through a symlink, with or without a usable Java.
 */
class DistributionIT {

    private static final Path ARCHIVE = Path.of(System.getProperty("streamfleet.dist.archive"));
    private static final String VERSION = System.getProperty("streamfleet.version");
    private static Path installed;
    private static Path elsewhere;

    @BeforeAll
    static void unpack() throws Exception {
        Path root = Files.createDirectories(Path.of("target", "dist-it").toAbsolutePath());
        Path unpacked = Files.createTempDirectory(root, "install");
        Path tarOutput = root.resolve("tar-output.txt");
        Process tar = new ProcessBuilder("tar", "-xzf", ARCHIVE.toString(), "-C", unpacked.toString())
                .redirectErrorStream(true).redirectOutput(tarOutput.toFile()).start();
        assertThat(tar.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(tar.exitValue()).as(Files.readString(tarOutput)).isZero();
        installed = unpacked.resolve("streamfleet-" + VERSION);
        elsewhere = Files.createTempDirectory(root, "elsewhere");
    }

    @Test
    void archiveHasTheLauncherLibrariesConfigurationsAndLicenceNotices() throws IOException {
        assertThat(Files.getPosixFilePermissions(installed.resolve("bin/streamfleet"))).contains(PosixFilePermission.OWNER_EXECUTE);
        assertThat(installed.resolve("conf")).isDirectoryContaining("glob:**/kinesis.yaml")
                .isDirectoryContaining("glob:**/kafka.yaml").isDirectoryContaining("glob:**/kinesis-and-kafka.yaml");
        assertThat(installed.resolve("lib")).isDirectoryContaining("glob:**/streamfleet-worker-*.jar");
        assertThat(Files.readString(installed.resolve("licenses/THIRD-PARTY.txt")))
                .contains("software.amazon.awssdk:kinesis").contains("org.apache.curator:curator-framework")
                .doesNotContain("Unknown license");
        assertThat(Files.readString(installed.resolve("licenses/THIRD-PARTY-kafka-broker.txt"))).contains("org.apache.kafka:kafka_2.13");
        assertThat(installed.resolve("emulators/package-lock.json")).exists();
        assertThat(installed.resolve("emulators/node_modules")).doesNotExist();
        assertThat(Files.size(Path.of(ARCHIVE.toString().replace(".tar.gz", ".zip")))).isPositive();
    }

    @Test
    void launcherWorksFromAnyDirectoryThroughASymlink() throws Exception {
        Path link = elsewhere.resolve("streamfleet");
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, installed.resolve("bin/streamfleet"));
        Result result = run(link.toString(), Map.of(), "--version");
        assertThat(result.exit).as(result.output).isZero();
        assertThat(result.output).contains(VERSION);
    }

    @Test
    void launcherHonoursJavaOpts() throws Exception {
        Result result = run(installed.resolve("bin/streamfleet").toString(),
                Map.of("JAVA_OPTS", "-Dstreamfleet.home=/ignored -XshowSettings:properties"), "--version");
        assertThat(result.exit).as(result.output).isZero();
        assertThat(result.output).contains("java.class.path").contains(VERSION);
    }

    @Test
    void launcherWithAJavaHomeWithoutJavaSaysSoAndExitsTwo() throws Exception {
        Result result = run(installed.resolve("bin/streamfleet").toString(), Map.of("JAVA_HOME", elsewhere.toString()), "--version");
        assertThat(result.exit).isEqualTo(2);
        assertThat(result.output.strip()).startsWith("streamfleet: JAVA_HOME is " + elsewhere).contains("not an executable");
    }

    @Test
    void healthCommandExitsOneWithOneLineWhenNoWorkerAnswers() throws Exception {
        Result result = run(installed.resolve("bin/streamfleet").toString(), Map.of(), "health", "--url", "http://127.0.0.1:1");
        assertThat(result.exit).isEqualTo(1);
        assertThat(result.output.strip().lines()).singleElement().asString()
                .startsWith("streamfleet: http://127.0.0.1:1/health did not answer");
    }

    @Test
    void installedKafkaBrokerStartsFromTheArchivesOwnJars() throws Exception {
        String previous = System.getProperty("streamfleet.home");
        System.setProperty("streamfleet.home", installed.toString());
        try {
            assertThat(BrokerClasspath.entries()).allSatisfy(jar -> assertThat(jar).exists())
                    .filteredOn(jar -> jar.getFileName().toString().startsWith("kafka_2.13"))
                    .singleElement().satisfies(jar -> assertThat(jar.startsWith(installed)).isTrue());
            try (LocalStack stack = LocalStack.start(LocalStackConfig.none(elsewhere.resolve("stack")).withKafka());
                 Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().endpoint()))) {
                assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)).hasSize(1);
            }
        } finally {
            if (previous == null) {
                System.clearProperty("streamfleet.home");
            } else {
                System.setProperty("streamfleet.home", previous);
            }
        }
    }

    private record Result(int exit, String output) {
    }

    private static Result run(String launcher, Map<String, String> environment, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(launcher);
        command.addAll(List.of(args));
        Path output = Files.createTempFile(elsewhere, "output", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).directory(elsewhere.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile());
        builder.environment().putAll(environment);
        Process process = builder.start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not exit within 60 s:\n" + Files.readString(output));
        }
        return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    }
}
