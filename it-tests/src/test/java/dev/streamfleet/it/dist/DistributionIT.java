package dev.streamfleet.it.dist;

import dev.streamfleet.it.Installation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The archives users download, unpacked into fresh directories: the production archive holds
 * what runs a fleet and nothing a test or the development tools need, every shipped
 * configuration gets past loading to a one-line error about the unreachable servers, a broken
 * installation says so in one line, and the launcher works from anywhere.
 */
class DistributionIT {

    private static final Installation PRODUCTION = Installation.production();
    private static Path elsewhere;

    @BeforeAll
    static void directories() throws IOException {
        elsewhere = Files.createTempDirectory(Files.createDirectories(Path.of("target", "dist-it").toAbsolutePath()), "elsewhere");
    }

    @Test
    void productionArchiveHasTheLauncherRuntimeLibrariesConfigurationsAndNotices() throws IOException {
        Path home = PRODUCTION.home();
        assertThat(Files.getPosixFilePermissions(home.resolve("bin/streamfleet"))).contains(PosixFilePermission.OWNER_EXECUTE);
        assertThat(home.resolve("conf")).isDirectoryContaining("glob:**/kinesis.yaml")
                .isDirectoryContaining("glob:**/kafka.yaml").isDirectoryContaining("glob:**/kinesis-and-kafka.yaml");
        assertThat(Files.readString(home.resolve("LICENSE"))).contains("Apache License").contains("Version 2.0");
        assertThat(home.resolve("NOTICE")).exists();
        assertThat(Files.readString(home.resolve("licenses/THIRD-PARTY.txt")))
                .contains("software.amazon.awssdk:kinesis").contains("org.apache.curator:curator-framework")
                .doesNotContain("Unknown license");
        assertThat(jarNames(home.resolve("lib")))
                .anyMatch(name -> name.startsWith("streamfleet-worker-"))
                // YAML configuration, and the credentials of EKS (web identity), role_arn and SSO profiles
                .anyMatch(name -> name.startsWith("snakeyaml-")).anyMatch(name -> name.startsWith("sts-"))
                .anyMatch(name -> name.startsWith("sso-")).anyMatch(name -> name.startsWith("ssooidc-"))
                // the HTTP/2 client of enhanced fan-out (SubscribeToShard)
                .anyMatch(name -> name.startsWith("netty-nio-client-")).anyMatch(name -> name.startsWith("netty-codec-http2-"))
                .noneMatch(name -> name.matches("(junit|opentest4j|apiguardian|curator-test|kafka_2\\.13|netty-tcnative"
                        + "|streamfleet-local-stack|streamfleet-devtools|streamfleet-kafka-broker|streamfleet-kcl-bench"
                        + "|amazon-kinesis-client|apache5?-client).*"));
        assertThat(home.resolve("devtools")).doesNotExist();
        assertThat(Files.size(Path.of(PRODUCTION.archive().toString().replace(".tar.gz", ".zip")))).isPositive();
    }

    @Test
    void devToolsArchiveAddsTheLocalStackTheBrokerAndTheEmulatorPackages() throws IOException {
        Path home = Installation.withDevTools().home();
        assertThat(jarNames(home.resolve("lib"))).containsExactlyInAnyOrderElementsOf(jarNames(PRODUCTION.home().resolve("lib")));
        assertThat(jarNames(home.resolve("devtools/lib"))).anyMatch(name -> name.startsWith("streamfleet-devtools-"))
                .anyMatch(name -> name.startsWith("curator-test-"));
        assertThat(home.resolve("devtools/lib/kafka-broker")).isDirectoryContaining("glob:**/kafka_2.13-*.jar")
                .isDirectoryContaining("glob:**/broker.classpath");
        assertThat(home.resolve("devtools/emulators/package-lock.json")).exists();
        assertThat(home.resolve("devtools/emulators/node_modules")).doesNotExist();
        assertThat(Files.readString(home.resolve("devtools/licenses/THIRD-PARTY-kafka-broker.txt"))).contains("org.apache.kafka:kafka_2.13");
    }

    @Test
    void developmentCommandsInTheProductionArchiveNameTheArchiveThatHasThem() throws Exception {
        for (String command : List.of("demo", "local-stack")) {
            Result result = run(PRODUCTION.launcher().toString(), Map.of(), command, "--duration", "5s");
            assertThat(result.exit).as(result.output).isEqualTo(2);
            assertThat(result.output.strip().lines()).singleElement().asString()
                    .startsWith("streamfleet: '" + command + "' is one of the development tools")
                    .contains("streamfleet-" + Installation.version() + "-devtools.tar.gz");
        }
    }

    @Test
    void everyShippedConfigurationLoadsAndMeetsUnreachableServersWithOneLineAndExitOne() throws Exception {
        try (Stream<Path> files = Files.list(PRODUCTION.home().resolve("conf"))) {
            List<Path> configurations = files.filter(file -> file.toString().endsWith(".yaml")).sorted().toList();
            assertThat(configurations).hasSize(3);
            for (Path configuration : configurations) {
                // Every server on a loopback port where nothing listens, so nothing leaves the machine.
                List<String> args = new ArrayList<>(List.of("worker", "--config", configuration.toString(),
                        "--set", "zookeeper.connect=127.0.0.1:1", "--set", "checkpoints.endpoint=http://127.0.0.1:1",
                        "--set", "status.port=0"));
                String text = Files.readString(configuration);
                if (text.contains("- kinesis:")) {
                    args.addAll(List.of("--set", "sources[0].kinesis.endpoint=http://127.0.0.1:1"));
                }
                if (text.contains("- kafka:")) {
                    int kafka = text.contains("- kinesis:") ? 1 : 0;
                    args.addAll(List.of("--set", "sources[" + kafka + "].kafka.bootstrapServers=127.0.0.1:1"));
                }
                Result result = run(PRODUCTION.launcher().toString(), Map.of("AWS_REGION", "us-east-1",
                        "AWS_ACCESS_KEY_ID", "x", "AWS_SECRET_ACCESS_KEY", "x"), args.toArray(String[]::new));
                assertThat(result.exit).as(configuration + ":\n" + result.output).isEqualTo(1);
                assertThat(result.messages()).as(configuration + ":\n" + result.output).singleElement().asString()
                        .startsWith("streamfleet: ").contains("127.0.0.1:1");
                assertThat(result.output).as(configuration.toString()).doesNotContain("\tat ").doesNotContain("Exception in thread");
            }
        }
    }

    @Test
    void aConfigurationWithoutARegionNamesBothWaysToSetOneAndExitsTwo() throws Exception {
        Path config = elsewhere.resolve("no-region.yaml");
        Files.writeString(config, """
                application: no-region
                zookeeper:
                  connect: 127.0.0.1:1
                sources:
                  - kinesis:
                      stream: orders
                      endpoint: http://127.0.0.1:1
                processor:
                  type: log
                """);
        Result result = run(PRODUCTION.launcher().toString(), Map.of("AWS_CONFIG_FILE", elsewhere.resolve("none").toString()),
                "worker", "--config", config.toString());
        assertThat(result.exit).as(result.output).isEqualTo(2);
        assertThat(result.output.strip().lines()).singleElement().asString()
                .isEqualTo("streamfleet: checkpoints.region: no AWS region; set it in the configuration, or set AWS_REGION"
                        + " in the environment (or a region in the AWS profile)");

        Result fromEnvironment = run(PRODUCTION.launcher().toString(), Map.of("AWS_REGION", "eu-west-1",
                "AWS_ACCESS_KEY_ID", "x", "AWS_SECRET_ACCESS_KEY", "x"), "worker", "--config", config.toString(),
                "--set", "checkpoints.endpoint=http://127.0.0.1:1");
        // Past the configuration (exit 1, not 2): the region came from AWS_REGION, and the table was asked for.
        assertThat(fromEnvironment.exit).as(fromEnvironment.output).isEqualTo(1);
        assertThat(fromEnvironment.messages()).singleElement().asString().startsWith("streamfleet: DynamoDB at http://127.0.0.1:1");
    }

    @Test
    void aBrokenInstallationSaysWhichClassIsMissingInOneLineWithoutAStackTrace() throws Exception {
        Path broken = elsewhere.resolve("broken");
        copyTree(PRODUCTION.home(), broken);
        try (Stream<Path> jars = Files.list(broken.resolve("lib"))) {
            for (Path jar : jars.filter(jar -> jar.getFileName().toString().startsWith("snakeyaml-")).toList()) {
                Files.delete(jar);
            }
        }
        Result result = run(broken.resolve("bin/streamfleet").toString(), Map.of(), "status", "--config",
                broken.resolve("conf/kafka.yaml").toString());
        assertThat(result.exit).as(result.output).isEqualTo(1);
        assertThat(result.output.strip().lines()).as(result.output).singleElement().asString()
                .startsWith("streamfleet: NoClassDefFoundError: org/yaml/snakeyaml")
                .contains("the installation looks broken").contains("stack trace in ");
        String traceFile = result.output.substring(result.output.indexOf("stack trace in ") + "stack trace in ".length()).strip();
        assertThat(Files.readString(Path.of(traceFile))).contains("\tat ");
    }

    @Test
    void aMisspelledEnvironmentVariableGetsAWarningNamingTheKeyMeant() throws Exception {
        Result result = run(PRODUCTION.launcher().toString(), Map.of("STREAMFLEET_ZOOKEEPER_CONECT", "127.0.0.1:1"),
                "status", "--config", elsewhere.resolve("missing.yaml").toString());
        assertThat(result.output).contains("streamfleet: warning: environment variable STREAMFLEET_ZOOKEEPER_CONECT sets no"
                + " configuration key and is ignored; did you mean STREAMFLEET_ZOOKEEPER_CONNECT?");
        assertThat(result.exit).isEqualTo(2);
    }

    @Test
    void launcherWorksFromAnyDirectoryThroughASymlink() throws Exception {
        Path link = elsewhere.resolve("streamfleet");
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, PRODUCTION.launcher());
        Result result = run(link.toString(), Map.of(), "--version");
        assertThat(result.exit).as(result.output).isZero();
        assertThat(result.output).contains(Installation.version());
    }

    @Test
    void launcherHonoursJavaOpts() throws Exception {
        Result result = run(PRODUCTION.launcher().toString(),
                Map.of("JAVA_OPTS", "-Dstreamfleet.home=/ignored -XshowSettings:properties"), "--version");
        assertThat(result.exit).as(result.output).isZero();
        assertThat(result.output).contains("java.class.path").contains(Installation.version());
    }

    @Test
    void launcherWithAJavaHomeWithoutJavaSaysSoAndExitsTwo() throws Exception {
        Result result = run(PRODUCTION.launcher().toString(), Map.of("JAVA_HOME", elsewhere.toString()), "--version");
        assertThat(result.exit).isEqualTo(2);
        assertThat(result.output.strip()).startsWith("streamfleet: JAVA_HOME is " + elsewhere).contains("not an executable");
    }

    @Test
    void healthCommandExitsOneWithOneLineWhenNoWorkerAnswers() throws Exception {
        Result result = run(PRODUCTION.launcher().toString(), Map.of(), "health", "--url", "http://127.0.0.1:1");
        assertThat(result.exit).isEqualTo(1);
        assertThat(result.output.strip().lines()).singleElement().asString()
                .startsWith("streamfleet: http://127.0.0.1:1/health did not answer");
    }

    @Test
    void healthFindsTheWorkersAddressInItsConfigurationAndSaysWhenThePortIsChosenAtStart() throws Exception {
        Path file = Files.writeString(elsewhere.resolve("health.yaml"), """
                application: health
                zookeeper:
                  connect: 127.0.0.1:1
                checkpoints:
                  region: us-east-1
                sources:
                  - kafka:
                      topic: t
                      bootstrapServers: 127.0.0.1:1
                processor:
                  type: log
                status:
                  bind: 0.0.0.0
                  port: 1
                """);
        Result configured = run(PRODUCTION.launcher().toString(), Map.of(), "health", "--config", file.toString());
        assertThat(configured.exit).isEqualTo(1);
        assertThat(configured.output.strip().lines()).singleElement().asString()
                .startsWith("streamfleet: http://127.0.0.1:1/health did not answer");

        // A region left to the SDK's chain, as the worker reads the same file.
        Path noRegion = Files.writeString(elsewhere.resolve("health-no-region.yaml"),
                Files.readString(file).replace("  region: us-east-1\n", ""));
        Result fromChain = run(PRODUCTION.launcher().toString(), Map.of("AWS_REGION", "eu-west-1"), "health", "--config",
                noRegion.toString());
        assertThat(fromChain.exit).isEqualTo(1);
        assertThat(fromChain.output.strip().lines()).singleElement().asString()
                .startsWith("streamfleet: http://127.0.0.1:1/health did not answer");

        Result chosenAtStart = run(PRODUCTION.launcher().toString(), Map.of(), "health", "--config", file.toString(),
                "--set", "status.port=0");
        assertThat(chosenAtStart.exit).isEqualTo(2);
        assertThat(chosenAtStart.output.strip().lines()).singleElement().asString()
                .startsWith("streamfleet: status.port is 0 in ").contains("give --url");
    }

    @Test
    void completionScriptCoversEveryCommandAndOptionAndBashAcceptsIt() throws Exception {
        Result result = run(PRODUCTION.launcher().toString(), Map.of(), "completion");
        assertThat(result.exit).isZero();
        assertThat(result.output).contains("complete -F").contains("worker").contains("checkpoints").contains("health")
                .contains("--output").contains("--config");
        Path script = Files.writeString(elsewhere.resolve("streamfleet-completion.bash"), result.output);
        // Sourcing it defines the completion without an error, and completes a subcommand.
        Process bash = new ProcessBuilder("bash", "-c", "source " + script + " && COMP_WORDS=(streamfleet check) && COMP_CWORD=1"
                + " && COMP_LINE='streamfleet check' && COMP_POINT=${#COMP_LINE} && _complete_streamfleet"
                + " && printf '%s\\n' \"${COMPREPLY[@]}\"").redirectErrorStream(true).start();
        String completed = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(bash.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(completed.strip()).isEqualTo("checkpoints");
    }

    private static List<String> jarNames(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(file -> file.getFileName().toString()).filter(name -> name.endsWith(".jar")).sorted().toList();
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private record Result(int exit, String output) {
        /** The lines that are not log lines (log lines start with a time of day). */
        List<String> messages() {
            return output.lines().filter(line -> !line.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} .*")).toList();
        }
    }

    private static Result run(String launcher, Map<String, String> environment, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(launcher);
        command.addAll(List.of(args));
        Path output = Files.createTempFile(elsewhere, "output", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).directory(elsewhere.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("AWS_") || name.startsWith("STREAMFLEET_"));
        builder.environment().put("AWS_EC2_METADATA_DISABLED", "true");
        builder.environment().putAll(environment);
        Process process = builder.start();
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not exit within 90 s:\n" + Files.readString(output));
        }
        return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    }
}
