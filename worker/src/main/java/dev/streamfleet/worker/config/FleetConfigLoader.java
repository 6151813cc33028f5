package dev.streamfleet.worker.config;

import dev.streamfleet.core.PublicApi;
import dev.streamfleet.checkpoint.CheckpointRules;
import dev.streamfleet.checkpoint.internal.dynamodb.DynamoDbCheckpointConfig;
import dev.streamfleet.coordinator.BalancePolicy;
import dev.streamfleet.coordinator.Balancing;
import dev.streamfleet.coordinator.CoordinatorConfig;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.internal.runtime.CheckpointPolicy;
import dev.streamfleet.worker.Parallelism;
import dev.streamfleet.worker.internal.runtime.WorkerSettings;
import dev.streamfleet.worker.Ordering;
import dev.streamfleet.worker.config.FanOut;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

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
@PublicApi
public final class FleetConfigLoader {

    /**
     * The most a revoke may wait for its batch (drainTimeout) and then for the stuck handler
     * (stuckAfter): a day, well within what the scheduler can count in millis when both are added.
     */
    private static final Duration HAND_OVER_BOUND = Duration.ofDays(1);

    private FleetConfigLoader() {
    }

    /** As {@link #load(Path, Map, Map, Supplier)}, with no region to fall back on. */
    public static FleetConfig load(Path file, Map<String, String> environment, Map<String, String> flags) {
        return load(file, environment, flags, Optional::empty);
    }

    /**
     * Reads and checks {@code file} with its overrides. A region that the file leaves out comes
     * from {@code defaultRegion} (the AWS SDK's region chain: {@code AWS_REGION}, the profile), asked
     * only when needed.
     */
    public static FleetConfig load(Path file, Map<String, String> environment, Map<String, String> flags,
                                   Supplier<Optional<String>> defaultRegion) {
        ObjectNode root = read(file);
        ConfigOverrides.apply(root, environment, flags);
        return parse(new ConfigNode("", root), new Regions(defaultRegion));
    }

    /** The fallback region, looked up at most once. */
    private static final class Regions {
        private final Supplier<Optional<String>> fallback;
        private Optional<String> found;

        Regions(Supplier<Optional<String>> fallback) {
            this.fallback = fallback;
        }

        String of(ConfigNode node) {
            if (node.has("region")) {
                return node.text("region");
            }
            if (found == null) {
                found = fallback.get();
            }
            return found.orElseThrow(() -> new ConfigException(node.path() + ".region: no AWS region; set it in the"
                    + " configuration, or set AWS_REGION in the environment (or a region in the AWS profile)"));
        }
    }

    /**
     * Reads and checks a configuration given as YAML text, for an application that builds its
     * configuration in code; no environment variable or flag overrides it, and a region it leaves
     * out is an error.
     *
     * @throws ConfigException naming the key, or the line of a YAML error
     */
    public static FleetConfig fromYaml(String yaml) {
        return parse(new ConfigNode("", parseYaml(yaml, "the configuration")), new Regions(Optional::empty));
    }

    private static ObjectNode read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("configuration file " + file + " does not exist");
        } catch (IOException e) {
            throw new ConfigException("cannot read configuration file " + file + ": " + e.getMessage());
        }
        return parseYaml(text, file.toString());
    }

    private static ObjectNode parseYaml(String text, String source) {
        try {
            JsonNode tree = new ObjectMapper(new YAMLFactory()).readTree(text);
            if (tree == null || !tree.isObject()) {
                throw new ConfigException(source + ": expected a YAML mapping of keys at the top");
            }
            return (ObjectNode) tree;
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": not valid YAML: " + e.getOriginalMessage().replaceAll("\\s*\\R\\s*", " ")
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"));
        }
    }

    /** One warning per {@code STREAMFLEET_*} environment variable that sets nothing, naming the nearest that would. */
    public static List<String> unknownVariables(Map<String, String> environment) {
        return ConfigOverrides.unknownVariables(environment);
    }

    private static FleetConfig parse(ConfigNode root, Regions regions) {
        root.allowOnly(Set.of("application", "zookeeper", "checkpoints", "sources", "processor", "processing", "status",
                "worker", "balancing"));
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
        FleetConfig.ZooKeeper zookeeper = new FleetConfig.ZooKeeper(hostPorts(zk, "connect", true),
                zk.duration("sessionTimeout", CoordinatorConfig.DEFAULT_SESSION_TIMEOUT, Duration.ofMillis(1)), credentials);

        // Every checkpoint key has a default (the region the SDK's), so the section may be left out.
        ConfigNode cp = root.sectionOrEmpty("checkpoints").allowOnly(Set.of("table", "region", "endpoint", "interval"));
        String table = cp.text("table", DynamoDbCheckpointConfig.DEFAULT_TABLE);
        try {
            CheckpointRules.requireTableName(table);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("checkpoints.table: " + e.getMessage());
        }
        FleetConfig.Checkpoints checkpoints = new FleetConfig.Checkpoints(table, regions.of(cp), cp.uri("endpoint"),
                cp.duration("interval", CheckpointPolicy.DEFAULT_INTERVAL, Duration.ZERO));

        List<FleetConfig.Source> sources = new ArrayList<>();
        for (ConfigNode item : root.list("sources")) {
            item.allowOnly(Set.of("kinesis", "kafka"));
            if (item.has("kinesis") == item.has("kafka")) {
                throw new ConfigException(item.path() + ": expected exactly one of 'kinesis' or 'kafka'");
            }
            sources.add(item.has("kinesis") ? kinesis(item.section("kinesis"), regions, application) : kafka(item.section("kafka")));
        }

        // An application that embeds the worker may give its processor in code instead.
        ConfigNode pr = root.sectionOrEmpty("processor").allowOnly(Set.of("type", "options"));
        FleetConfig.Processor processor = new FleetConfig.Processor(pr.optionalText("type").orElse(""),
                pr.textMap("options"));

        FleetConfig.Status status = root.optionalSection("status")
                .map(st -> st.allowOnly(Set.of("bind", "port", "advertise", "leaderPage", "jmx")))
                .map(st -> new FleetConfig.Status(st.text("bind", "127.0.0.1"), st.integer("port", 0, 0, 65535),
                        st.text("advertise", ""), leaderPage(st), st.bool("jmx", false)))
                .orElse(new FleetConfig.Status("127.0.0.1", 0));
        ConfigNode pg = root.sectionOrEmpty("processing").allowOnly(Set.of("threads", "processorAttempts", "drainTimeout",
                "stuckAfter", "stallAfter", "parallelism", "ordering", "maxInFlight", "maxInFlightBytes", "deadLetter"));
        FleetConfig.Processing processing = new FleetConfig.Processing(
                pg.integer("threads", WorkerSettings.DEFAULT_THREADS, 1, 1024),
                pg.integer("processorAttempts", WorkerSettings.DEFAULT_PROCESSOR_RETRY.maxAttempts(), 1, 1000),
                pg.duration("drainTimeout", CoordinatorConfig.DEFAULT_DRAIN_TIMEOUT, Duration.ofMillis(1), HAND_OVER_BOUND),
                pg.duration("stuckAfter", WorkerSettings.DEFAULT_STUCK_AFTER, Duration.ofMillis(1), HAND_OVER_BOUND),
                pg.duration("stallAfter", WorkerSettings.DEFAULT_STALL_AFTER, Duration.ofMillis(1)),
                parallelism(pg), pg.optionalSection("deadLetter").map(dl -> deadLetter(dl, regions)));
        FleetConfig.Worker worker = new FleetConfig.Worker(
                root.sectionOrEmpty("worker").allowOnly(Set.of("capacity")).integer("capacity", 1, 1, 1000));
        return new FleetConfig(application, zookeeper, checkpoints, sources, processor, processing, status, worker,
                balancing(root.sectionOrEmpty("balancing")));
    }

    /** balancing.trigger, .target, .maxMovedShare, .minStay and .weights (unit id: load). */
    private static Balancing balancing(ConfigNode node) {
        node.allowOnly(Set.of("trigger", "target", "maxMovedShare", "minStay", "weights"));
        BalancePolicy defaults = BalancePolicy.DEFAULT;
        double trigger = node.decimal("trigger", defaults.trigger(), 1, 1.99);
        double target = node.decimal("target", Math.min(defaults.target(), trigger), 1, 1.99);
        if (target > trigger) {
            throw new ConfigException(node.key("target") + ": " + target + " is above balancing.trigger (" + trigger
                    + "); moves for load stop at the target, which must not be above where they start");
        }
        BalancePolicy policy = new BalancePolicy(trigger, target, node.decimal("maxMovedShare", defaults.maxMovedShare(), 0.001, 1),
                node.duration("minStay", defaults.minStay(), Duration.ZERO), defaults.minGain(), defaults.idleBelow());
        Map<UnitId, Double> weights = new java.util.HashMap<>();
        node.textMap("weights").forEach((unit, weight) -> {
            String key = node.key("weights") + "." + unit;
            UnitId id;
            try {
                id = UnitId.parse(unit);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(key + ": not a unit id (kinesis/<stream>/<shard id> or kafka/<topic>/<partition>): "
                        + e.getMessage());
            }
            weights.put(id, ConfigNode.decimalValue(key, com.fasterxml.jackson.databind.node.TextNode.valueOf(weight),
                    0.000001, 1_000_000));
        });
        return new Balancing(policy, weights);
    }

    /**
     * A comma-separated list of {@code host:port}; ZooKeeper's may end in a chroot path
     * ({@code zk1:2181,zk2:2181/apps}).
     */
    private static String hostPorts(ConfigNode node, String name, boolean chroot) {
        String text = node.text(name).trim();
        String servers = chroot && text.indexOf('/') >= 0 ? text.substring(0, text.indexOf('/')) : text;
        for (String server : servers.split(",", -1)) {
            String entry = server.trim();
            int colon = entry.lastIndexOf(':');
            String port = colon < 0 ? "" : entry.substring(colon + 1);
            if (colon <= 0 || !port.matches("\\d{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                throw new ConfigException(node.path() + "." + name + ": expected host:port[,host:port...]"
                        + (chroot ? "[/chroot]" : "") + ", got '" + text + "'");
            }
        }
        return text;
    }

    /** processing.deadLetter: a kafka or a kinesis destination, exactly one. */
    private static FleetConfig.DeadLetter deadLetter(ConfigNode node, Regions regions) {
        node.allowOnly(Set.of("kafka", "kinesis"));
        if (node.has("kafka") == node.has("kinesis")) {
            throw new ConfigException(node.path() + ": expected exactly one of 'kafka' or 'kinesis'");
        }
        if (node.has("kafka")) {
            ConfigNode kafka = node.section("kafka").allowOnly(Set.of("topic", "bootstrapServers", "properties"));
            return new FleetConfig.DeadLetterKafka(kafka.text("topic"), hostPorts(kafka, "bootstrapServers", false),
                    kafka.textMap("properties"));
        }
        ConfigNode kinesis = node.section("kinesis").allowOnly(Set.of("stream", "region", "endpoint"));
        return new FleetConfig.DeadLetterKinesis(kinesis.text("stream"), regions.of(kinesis), kinesis.uri("endpoint"));
    }

    /** processing.parallelism, .ordering (key by default above 1) and .maxInFlight (at least the parallelism). */
    private static Parallelism parallelism(ConfigNode processing) {
        int parallelism = processing.integer("parallelism", 1, 1, 4096);
        Ordering ordering = processing.optionalText("ordering").map(value -> {
            try {
                return Ordering.parse(value);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(processing.key("ordering") + ": " + e.getMessage());
            }
        }).orElse(parallelism > 1 ? Ordering.KEY : Ordering.UNIT);
        int maxInFlight = processing.integer("maxInFlight", Math.max(Parallelism.DEFAULT_MAX_IN_FLIGHT, parallelism),
                parallelism, 100_000);
        int maxInFlightBytes = processing.integer("maxInFlightBytes", (int) Parallelism.DEFAULT_MAX_IN_FLIGHT_BYTES,
                1024 * 1024, Integer.MAX_VALUE);
        return new Parallelism(parallelism, ordering, maxInFlight, maxInFlightBytes);
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

    private static FleetConfig.Kinesis kinesis(ConfigNode node, Regions regions, String application) {
        node.allowOnly(Set.copyOf(ConfigOverrides.KINESIS_KEYS));
        Duration idleWait = node.duration("idleWait", FleetConfig.Kinesis.DEFAULT_IDLE_WAIT, Duration.ZERO);
        Duration idleWaitMax = node.duration("idleWaitMax",
                idleWait.compareTo(FleetConfig.Kinesis.DEFAULT_IDLE_WAIT_MAX) > 0 ? idleWait
                        : FleetConfig.Kinesis.DEFAULT_IDLE_WAIT_MAX, Duration.ZERO);
        if (idleWaitMax.compareTo(idleWait) < 0) {
            throw new ConfigException(node.key("idleWaitMax") + ": " + idleWaitMax.toMillis() + " ms is shorter than idleWait ("
                    + idleWait.toMillis() + " ms); the pause grows from idleWait up to idleWaitMax");
        }
        return new FleetConfig.Kinesis(node.text("stream"), regions.of(node), node.uri("endpoint"),
                node.startingPoint("initialPosition", Position.LATEST),
                node.integer("limit", FleetConfig.Kinesis.DEFAULT_LIMIT, 1, 10_000), idleWait, idleWaitMax,
                node.decimal("maxReadsPerSecond", FleetConfig.Kinesis.DEFAULT_MAX_READS_PER_SECOND, 0.1, 5),
                fanOut(node, application));
    }

    /** {@code reader: fanout} with its consumer (named after the application unless told), or empty to poll. */
    private static Optional<FanOut> fanOut(ConfigNode node, String application) {
        String reader = node.text("reader", "polling");
        Optional<String> name = node.optionalText("consumerName");
        Optional<String> arn = node.optionalText("consumerArn");
        switch (reader.toLowerCase(Locale.ROOT)) {
            case "polling" -> {
                if (name.isPresent() || arn.isPresent()) {
                    throw new ConfigException(node.key(name.isPresent() ? "consumerName" : "consumerArn")
                            + ": only a fan-out reader has a stream consumer; set " + node.key("reader") + ": fanout");
                }
                return Optional.empty();
            }
            case "fanout" -> {
                if (arn.isPresent() && !arn.get().startsWith("arn:")) {
                    throw new ConfigException(node.key("consumerArn") + ": expected a stream consumer ARN"
                            + " (arn:aws:kinesis:<region>:<account>:stream/<stream>/consumer/<name>:<time>), got '" + arn.get() + "'");
                }
                return Optional.of(new FanOut(name.orElse(application), arn));
            }
            default -> throw new ConfigException(node.key("reader") + ": expected 'polling' or 'fanout', got '" + reader + "'");
        }
    }

    private static FleetConfig.Kafka kafka(ConfigNode node) {
        node.allowOnly(Set.of("topic", "bootstrapServers", "initialPosition", "properties", "mirrorGroup"));
        return new FleetConfig.Kafka(node.text("topic"), hostPorts(node, "bootstrapServers", false),
                node.startingPoint("initialPosition", Position.LATEST), node.textMap("properties"),
                node.optionalText("mirrorGroup"));
    }
}
