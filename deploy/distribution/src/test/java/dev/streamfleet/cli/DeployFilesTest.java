package dev.streamfleet.cli;

import dev.streamfleet.worker.config.FleetConfig;
import dev.streamfleet.worker.config.FleetConfigLoader;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The deployment files are checked here even where Docker, Kubernetes and systemd are absent:
 * each parses, names files that exist, and agrees with the configuration it ships with (ports,
 * paths, host names, stream and topic names, environment variables that are real overrides).
 */
class DeployFilesTest {

    private static final Path DEPLOY = Path.of("..").toAbsolutePath().normalize();
    private static final Path REPOSITORY = DEPLOY.getParent();

    @Nested
    class ExampleConfigurations {

        @Test
        void everyShippedConfigurationLoadsWithItsDocumentedSources() {
            assertThat(load(DEPLOY.resolve("conf/kinesis.yaml")).sources())
                    .singleElement().isInstanceOf(FleetConfig.Kinesis.class);
            assertThat(load(DEPLOY.resolve("conf/kafka.yaml")).sources())
                    .singleElement().isInstanceOf(FleetConfig.Kafka.class);
            assertThat(load(DEPLOY.resolve("conf/kinesis-and-kafka.yaml")).sources())
                    .hasSize(2).hasAtLeastOneElementOfType(FleetConfig.Kinesis.class)
                    .hasAtLeastOneElementOfType(FleetConfig.Kafka.class);
        }
    }

    @Nested
    class ContainerImage {

        private final List<String> dockerfile = lines(DEPLOY.resolve("docker/Dockerfile"));

        @Test
        void runsAsANonRootUserWithAHealthCheckOnTheStatusPort() {
            assertThat(instruction("USER")).singleElement().isNotIn("root", "0");
            assertThat(instruction("HEALTHCHECK")).singleElement().asString()
                    .contains("streamfleet health").contains("${STREAMFLEET_STATUS_PORT}");
            assertThat(instruction("EXPOSE")).containsExactly(String.valueOf(imagePort()));
        }

        @Test
        void copiesFilesThatExistAndSetsOnlyRealOverrides() {
            for (String copy : instruction("COPY")) {
                if (!copy.startsWith("--from")) {
                    String source = copy.split("\\s+")[0];
                    if (!source.equals(".")) {
                        assertThat(REPOSITORY.resolve(source)).as("COPY source").exists();
                    }
                }
            }
            assertThat(environment().keySet()).filteredOn(name -> name.startsWith("STREAMFLEET_"))
                    .isNotEmpty().allSatisfy(DeployFilesTest::isOverride);
            assertThat(environment()).containsEntry("STREAMFLEET_STATUS_LEADERPAGE", "proxy")
                    .containsEntry("STREAMFLEET_STATUS_BIND", "0.0.0.0");
        }

        @Test
        void theClassArchiveGoesWhereTheUnprivilegedUserMayWrite() {
            String archives = environment().get("STREAMFLEET_CDS_DIR");
            assertThat(archives).startsWith("/var/lib/streamfleet/");
            assertThat(instruction("RUN")).anyMatch(run -> run.contains("chown streamfleet:streamfleet /var/lib/streamfleet"));
        }

        @Test
        void defaultCommandRunsAWorkerOnTheConfigurationFileItShips() {
            String configPath = "/etc/streamfleet/fleet.yaml";
            assertThat(instruction("CMD")).singleElement().asString().contains("\"worker\"").contains(configPath);
            assertThat(instruction("COPY")).anyMatch(copy -> copy.endsWith(" " + configPath));
        }

        int imagePort() {
            return Integer.parseInt(environment().get("STREAMFLEET_STATUS_PORT"));
        }

        Map<String, String> environment() {
            Map<String, String> variables = new LinkedHashMap<>();
            Matcher matcher = Pattern.compile("(\\w+)=(\"[^\"]*\"|\\S+)").matcher(String.join(" ", instruction("ENV")));
            while (matcher.find()) {
                variables.put(matcher.group(1), matcher.group(2).replace("\"", ""));
            }
            return variables;
        }

        /** The arguments of every instruction of that name, continuation lines joined. */
        List<String> instruction(String name) {
            List<String> found = new ArrayList<>();
            StringBuilder current = new StringBuilder();
            for (String line : dockerfile) {
                String trimmed = line.strip();
                if (trimmed.startsWith("#") && current.length() == 0) {
                    continue;
                }
                boolean continues = trimmed.endsWith("\\");
                current.append(' ').append(continues ? trimmed.substring(0, trimmed.length() - 1) : trimmed);
                if (!continues) {
                    String whole = current.toString().replaceAll("\\s+", " ").strip();
                    if (whole.startsWith(name + " ")) {
                        found.add(whole.substring(name.length() + 1));
                    }
                    current.setLength(0);
                }
            }
            return found;
        }
    }

    @Nested
    class Compose {

        private final Path dir = DEPLOY.resolve("docker");
        private final Map<String, Object> compose = yaml(dir.resolve("docker-compose.yml"));
        private final Map<String, Object> services = map(compose.get("services"));
        private final Map<String, Object> worker = map(services.get("worker"));
        private final FleetConfig fleet = load(dir.resolve("fleet.yaml"));

        @Test
        void hasTheServicesTheFleetNeedsWithPinnedImages() {
            assertThat(services).containsKeys("zk1", "zk2", "zk3", "localstack", "kafka", "kafka-topics", "producer", "worker");
            services.forEach((name, service) -> assertThat((String) map(service).get("image"))
                    .as("image of %s", name).matches("[\\w./-]+:[\\w.-]+").doesNotEndWith(":latest"));
            assertThat(map(worker.get("deploy")).get("replicas")).isEqualTo(3);
        }

        @Test
        void workersBuildTheImageAndMountTheFleetConfiguration() {
            Map<String, Object> build = map(worker.get("build"));
            Path context = dir.resolve((String) build.get("context")).normalize();
            assertThat(context).isEqualTo(REPOSITORY);
            assertThat(context.resolve((String) build.get("dockerfile"))).exists();
            assertThat(list(worker.get("volumes"))).contains("./fleet.yaml:/etc/streamfleet/fleet.yaml:ro");
            assertThat(map(worker.get("environment"))).containsKeys("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY");
        }

        @Test
        void statusPortIsPublishedAndEveryWorkerShowsTheLeadersPage() {
            assertThat(fleet.status().port()).isEqualTo(new ContainerImage().imagePort());
            assertThat(fleet.status().bind()).isEqualTo("0.0.0.0");
            assertThat(fleet.status().leaderPage()).isEqualTo(FleetConfig.LeaderPage.PROXY);
            assertThat(list(worker.get("ports"))).singleElement().asString().endsWith(":" + fleet.status().port());
        }

        @Test
        void configurationNamesTheComposeServicesAndTheirPorts() {
            assertThat(hosts(fleet.zookeeper().connect())).containsExactlyInAnyOrder("zk1:2181", "zk2:2181", "zk3:2181");
            String zooServers = (String) map(map(services.get("zk1")).get("environment")).get("ZOO_SERVERS");
            for (String member : List.of("zk1", "zk2", "zk3")) {
                assertThat(zooServers).contains(member + ":2888:3888;2181");
            }
            URI localstack = URI.create("http://localstack:4566");
            assertThat(fleet.checkpoints().endpoint()).contains(localstack);
            assertThat(list(map(services.get("localstack")).get("ports"))).singleElement().asString().endsWith(":4566");
            FleetConfig.Kinesis kinesis = source(FleetConfig.Kinesis.class);
            assertThat(kinesis.endpoint()).contains(localstack);
            FleetConfig.Kafka kafka = source(FleetConfig.Kafka.class);
            assertThat(map(map(services.get("kafka")).get("environment")).get("KAFKA_ADVERTISED_LISTENERS"))
                    .isEqualTo("PLAINTEXT://" + kafka.bootstrapServers());
        }

        @Test
        void theStreamAndTopicTheFleetReadsAreCreatedAndProduced() throws IOException {
            FleetConfig.Kinesis kinesis = source(FleetConfig.Kinesis.class);
            FleetConfig.Kafka kafka = source(FleetConfig.Kafka.class);
            Map<String, Object> localstack = map(services.get("localstack"));
            String readyScript = ((String) list(localstack.get("volumes")).get(0)).split(":")[0];
            assertThat(Files.readString(dir.resolve(readyScript))).contains("--stream-name " + kinesis.stream());
            assertThat(list(map(services.get("kafka-topics")).get("command"))).containsSequence("--topic", kafka.topic());
            String producer = String.join(" ", list(map(services.get("producer")).get("command")).stream()
                    .map(Object::toString).toList());
            assertThat(producer).contains("--source " + kinesis.stream()).contains("--source " + kafka.topic());
        }

        @Test
        void workersWaitForWhatTheyNeedAndGetTimeToHandOver() {
            assertThat(map(worker.get("depends_on"))).containsKeys("zk1", "zk2", "zk3", "localstack", "kafka-topics");
            assertThat((String) worker.get("stop_grace_period")).matches("[3-9]\\ds|\\d{3,}s");
        }

        private <T extends FleetConfig.Source> T source(Class<T> type) {
            return fleet.sources().stream().filter(type::isInstance).map(type::cast).findFirst().orElseThrow();
        }
    }

    @Nested
    class Kubernetes {

        private final Path dir = DEPLOY.resolve("kubernetes");
        private final Map<String, Map<String, Object>> byKind = new LinkedHashMap<>();

        Kubernetes() {
            for (Object resource : list(yaml(dir.resolve("kustomization.yaml")).get("resources"))) {
                Path file = dir.resolve((String) resource);
                assertThat(file).as("kustomization resource").exists();
                Map<String, Object> manifest = yaml(file);
                assertThat(manifest).containsKeys("apiVersion", "kind", "metadata");
                byKind.put((String) manifest.get("kind"), manifest);
            }
        }

        @Test
        void hasTheWorkersConfigurationStatusServiceAndDisruptionBudget() {
            assertThat(byKind).containsOnlyKeys("ServiceAccount", "ConfigMap", "Deployment", "Service", "PodDisruptionBudget");
        }

        @Test
        void deploymentRunsWorkersOnTheConfigMapWithProbesOnHealth() throws IOException {
            FleetConfig fleet = configMapFleet();
            Map<String, Object> pod = map(map(deployment().get("template")).get("spec"));
            Map<String, Object> container = map(list(pod.get("containers")).get(0));
            Map<String, Object> port = map(list(container.get("ports")).get(0));
            assertThat(port.get("containerPort")).isEqualTo(fleet.status().port());
            for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
                Map<String, Object> get = map(map(container.get(probe)).get("httpGet"));
                assertThat(get.get("path")).as(probe).isEqualTo("/health");
                assertThat(get.get("port")).as(probe).isEqualTo(port.get("name"));
            }
            assertThat(list(container.get("args"))).containsSequence("worker", "--config", "/etc/streamfleet/fleet.yaml");
            Map<String, Object> configVolume = list(pod.get("volumes")).stream().map(DeployFilesTest::map)
                    .filter(volume -> volume.containsKey("configMap")).findFirst().orElseThrow();
            assertThat(map(configVolume.get("configMap")).get("name")).isEqualTo(name("ConfigMap"));
            assertThat(list(container.get("volumeMounts")).stream().map(DeployFilesTest::map))
                    .anyMatch(mount -> mount.get("name").equals(configVolume.get("name"))
                            && mount.get("mountPath").equals("/etc/streamfleet"));
            assertThat(pod.get("serviceAccountName")).isEqualTo(name("ServiceAccount"));
            list(container.get("env")).stream().map(variable -> (String) map(variable).get("name"))
                    .filter(name -> name.startsWith("STREAMFLEET_")).forEach(DeployFilesTest::isOverride);
        }

        @Test
        void theImagesClassArchiveDirectoryIsOnAWritableVolumeDespiteTheReadOnlyRoot() {
            Map<String, Object> pod = map(map(deployment().get("template")).get("spec"));
            Map<String, Object> container = map(list(pod.get("containers")).get(0));
            String archives = new ContainerImage().environment().get("STREAMFLEET_CDS_DIR");
            assertThat(list(container.get("volumeMounts")).stream().map(DeployFilesTest::map))
                    .anyMatch(mount -> archives.startsWith(mount.get("mountPath") + "/") && !Boolean.TRUE.equals(mount.get("readOnly")));
        }

        @Test
        void terminationLeavesTimeForTheHandoverBeyondTheSessionTimeout() throws IOException {
            Map<String, Object> pod = map(map(deployment().get("template")).get("spec"));
            long grace = ((Number) pod.get("terminationGracePeriodSeconds")).longValue();
            assertThat(grace).isGreaterThan(configMapFleet().zookeeper().sessionTimeout().toSeconds());
        }

        @Test
        void serviceAndBudgetSelectTheWorkersAndEveryWorkerAnswersForTheLeader() throws IOException {
            Map<String, Object> podLabels = map(map(map(deployment().get("template")).get("metadata")).get("labels"));
            Map<String, Object> service = map(byKind.get("Service").get("spec"));
            assertThat(podLabels).containsAllEntriesOf(map(service.get("selector")));
            assertThat(map(list(service.get("ports")).get(0)).get("targetPort")).isEqualTo("status");
            Map<String, Object> budget = map(byKind.get("PodDisruptionBudget").get("spec"));
            assertThat(podLabels).containsAllEntriesOf(map(map(budget.get("selector")).get("matchLabels")));
            assertThat(podLabels).containsAllEntriesOf(map(map(deployment().get("selector")).get("matchLabels")));
            FleetConfig fleet = configMapFleet();
            assertThat(fleet.status().leaderPage()).as("a Service picks any pod").isEqualTo(FleetConfig.LeaderPage.PROXY);
            assertThat(fleet.status().bind()).isEqualTo("0.0.0.0");
        }

        private Map<String, Object> deployment() {
            return map(byKind.get("Deployment").get("spec"));
        }

        private String name(String kind) {
            return (String) map(byKind.get(kind).get("metadata")).get("name");
        }

        private FleetConfig configMapFleet() throws IOException {
            String text = (String) map(byKind.get("ConfigMap").get("data")).get("fleet.yaml");
            Path file = Files.createTempFile("configmap-fleet", ".yaml");
            try {
                Files.writeString(file, text);
                return load(file);
            } finally {
                Files.delete(file);
            }
        }
    }

    @Nested
    class Systemd {

        private final Map<String, String> unit = lines(DEPLOY.resolve("systemd/streamfleet@.service")).stream()
                .filter(line -> line.contains("=") && !line.startsWith("#"))
                .collect(Collectors.toMap(line -> line.substring(0, line.indexOf('=')),
                        line -> line.substring(line.indexOf('=') + 1), (a, b) -> a + " " + b));

        @Test
        void runsTheInstalledLauncherOnTheInstancesConfiguration() {
            assertThat(unit.get("ExecStart")).isEqualTo("/opt/streamfleet/bin/streamfleet worker --config /etc/streamfleet/%i.yaml");
            assertThat(unit.get("User")).isNotIn("root", "0");
        }

        @Test
        void theClassArchiveGoesWhereTheProtectedServiceMayWrite() {
            String archives = unit.get("Environment").replaceFirst("^.*STREAMFLEET_CDS_DIR=(\\S+).*$", "$1");
            assertThat(archives).startsWith(unit.get("ReadWritePaths") + "/");
        }

        @Test
        void stopsWithSigtermAndDoesNotRestartOnAConfigurationError() {
            assertThat(unit).containsEntry("KillSignal", "SIGTERM").containsEntry("RestartPreventExitStatus", "2")
                    .containsEntry("Restart", "on-failure");
            assertThat(Integer.parseInt(unit.get("TimeoutStopSec"))).isGreaterThanOrEqualTo(30);
        }
    }

    private static FleetConfig load(Path file) {
        return FleetConfigLoader.load(file, Map.of(), Map.of(), () -> java.util.Optional.of("us-east-1"));
    }

    private static void isOverride(String variable) {
        assertThat(FleetConfigLoader.unknownVariables(Map.of(variable, "x")))
                .as("warnings for %s, which should override a configuration key", variable).isEmpty();
    }

    private static Set<String> hosts(String connect) {
        return Stream.of(connect.split(",")).map(String::strip).collect(Collectors.toSet());
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Map<String, Object> yaml(Path file) {
        try {
            return new Yaml().load(Files.readString(file));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object node) {
        assertThat(node).isInstanceOf(Map.class);
        return (Map<String, Object>) node;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object node) {
        assertThat(node).isInstanceOf(List.class);
        return (List<Object>) node;
    }
}
