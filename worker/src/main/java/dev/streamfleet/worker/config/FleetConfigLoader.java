package dev.streamfleet.worker.config;

import dev.streamfleet.checkpoint.CheckpointRules;
import dev.streamfleet.checkpoint.dynamodb.DynamoDbCheckpointConfig;
import dev.streamfleet.coordinator.CoordinatorConfig;
import dev.streamfleet.core.Position;
import dev.streamfleet.worker.CheckpointPolicy;
import dev.streamfleet.worker.kinesis.KinesisSourceConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * Reads a {@link FleetConfig} from YAML, applies overrides from the environment
 * ({@code STREAMFLEET_ZOOKEEPER_CONNECT=…}) and from flags ({@code --set zookeeper.connect=…}),
 * and checks everything before anything starts. Flags win over the environment, which wins
 * over the file. Every problem is a {@link ConfigException} naming the key.
 */
public final class FleetConfigLoader {

    /** The keys that the environment and flags may set: every scalar outside the source list. */
    public static final List<String> OVERRIDABLE = List.of("application", "zookeeper.connect", "zookeeper.sessionTimeout",
            "zookeeper.auth.username", "zookeeper.auth.password",
            "checkpoints.table", "checkpoints.region", "checkpoints.endpoint", "checkpoints.interval", "processor.type",
            "status.bind", "status.port", "status.advertise", "status.leaderPage");
    private static final String ENV_PREFIX = "STREAMFLEET_";

    private FleetConfigLoader() {
    }

    public static FleetConfig load(Path file, Map<String, String> environment, Map<String, String> flags) {
        ObjectNode root = read(file);
        for (String key : OVERRIDABLE) {
            String env = environment.get(ENV_PREFIX + key.replace('.', '_').toUpperCase(Locale.ROOT));
            if (env != null) {
                set(root, key, env);
            }
        }
        for (Map.Entry<String, String> flag : new TreeMap<>(flags).entrySet()) {
            if (!OVERRIDABLE.contains(flag.getKey())) {
                throw new ConfigException("--set " + flag.getKey() + ": not a key that can be set from the command line"
                        + " (one of " + String.join(", ", OVERRIDABLE) + ")");
            }
            set(root, flag.getKey(), flag.getValue());
        }
        return parse(new ConfigNode("", root));
    }

    private static ObjectNode read(Path file) {
        try {
            JsonNode tree = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(file));
            if (tree == null || !tree.isObject()) {
                throw new ConfigException(file + ": expected a YAML mapping of keys at the top");
            }
            return (ObjectNode) tree;
        } catch (NoSuchFileException e) {
            throw new ConfigException("configuration file " + file + " does not exist");
        } catch (JsonProcessingException e) {
            throw new ConfigException(file + ": not valid YAML: " + e.getOriginalMessage().replaceAll("\\s*\\R\\s*", " ")
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"));
        } catch (IOException e) {
            throw new ConfigException("cannot read configuration file " + file + ": " + e.getMessage());
        }
    }

    private static void set(ObjectNode root, String key, String value) {
        String[] parts = key.split("\\.");
        ObjectNode at = root;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = at.get(parts[i]);
            if (child == null || !child.isObject()) {
                child = at.putObject(parts[i]);
            }
            at = (ObjectNode) child;
        }
        at.put(parts[parts.length - 1], value);
    }

    private static FleetConfig parse(ConfigNode root) {
        root.allowOnly(Set.of("application", "zookeeper", "checkpoints", "sources", "processor", "status"));
        String application = root.text("application");
        try {
            CheckpointRules.requireApplication(application);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("application: " + e.getMessage());
        }

        ConfigNode zk = root.section("zookeeper").allowOnly(Set.of("connect", "sessionTimeout", "auth"));
        java.util.Optional<dev.streamfleet.coordinator.ZooKeeperCredentials> credentials = zk.optionalSection("auth")
                .map(auth -> auth.allowOnly(Set.of("username", "password")))
                .map(auth -> {
                    try {
                        return new dev.streamfleet.coordinator.ZooKeeperCredentials(auth.text("username"), auth.text("password"));
                    } catch (IllegalArgumentException e) {
                        throw new ConfigException("zookeeper.auth.username: " + e.getMessage());
                    }
                });
        FleetConfig.ZooKeeper zookeeper = new FleetConfig.ZooKeeper(zk.text("connect"),
                zk.duration("sessionTimeout", CoordinatorConfig.DEFAULT_SESSION_TIMEOUT), credentials);

        ConfigNode cp = root.section("checkpoints").allowOnly(Set.of("table", "region", "endpoint", "interval"));
        FleetConfig.Checkpoints checkpoints = new FleetConfig.Checkpoints(
                cp.text("table", DynamoDbCheckpointConfig.DEFAULT_TABLE), cp.text("region"), cp.uri("endpoint"),
                cp.duration("interval", CheckpointPolicy.DEFAULT_INTERVAL));

        List<FleetConfig.Source> sources = new ArrayList<>();
        for (ConfigNode item : root.list("sources")) {
            item.allowOnly(Set.of("kinesis", "kafka"));
            if (item.has("kinesis") == item.has("kafka")) {
                throw new ConfigException(item.path() + ": expected exactly one of 'kinesis' or 'kafka'");
            }
            sources.add(item.has("kinesis") ? kinesis(item.section("kinesis")) : kafka(item.section("kafka")));
        }

        ConfigNode pr = root.section("processor").allowOnly(Set.of("type", "options"));
        FleetConfig.Processor processor = new FleetConfig.Processor(pr.text("type"), pr.textMap("options"));

        FleetConfig.Status status = root.optionalSection("status")
                .map(st -> st.allowOnly(Set.of("bind", "port", "advertise", "leaderPage")))
                .map(st -> new FleetConfig.Status(st.text("bind", "127.0.0.1"), st.integer("port", 0, 0, 65535),
                        st.text("advertise", ""), leaderPage(st)))
                .orElse(new FleetConfig.Status("127.0.0.1", 0));
        return new FleetConfig(application, zookeeper, checkpoints, sources, processor, status);
    }

    private static FleetConfig.LeaderPage leaderPage(ConfigNode status) {
        String value = status.text("leaderPage", "redirect");
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "redirect" -> FleetConfig.LeaderPage.REDIRECT;
            case "proxy" -> FleetConfig.LeaderPage.PROXY;
            default -> throw new ConfigException(status.path() + ".leaderPage: expected 'redirect' or 'proxy', got '"
                    + value + "'");
        };
    }

    private static FleetConfig.Kinesis kinesis(ConfigNode node) {
        node.allowOnly(Set.of("stream", "region", "endpoint", "initialPosition", "limit", "idleWait"));
        return new FleetConfig.Kinesis(node.text("stream"), node.text("region"), node.uri("endpoint"),
                node.startingPoint("initialPosition", Position.LATEST),
                node.integer("limit", KinesisSourceConfig.DEFAULT_LIMIT, 1, 10_000),
                node.duration("idleWait", KinesisSourceConfig.DEFAULT_IDLE_WAIT));
    }

    private static FleetConfig.Kafka kafka(ConfigNode node) {
        node.allowOnly(Set.of("topic", "bootstrapServers", "initialPosition", "properties", "mirrorGroup"));
        return new FleetConfig.Kafka(node.text("topic"), node.text("bootstrapServers"),
                node.startingPoint("initialPosition", Position.LATEST), node.textMap("properties"),
                node.optionalText("mirrorGroup"));
    }
}
