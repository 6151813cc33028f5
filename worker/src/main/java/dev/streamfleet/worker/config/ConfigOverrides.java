package dev.streamfleet.worker.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The keys that environment variables and {@code --set} flags may override, and how they are
 * applied to the YAML tree: every scalar outside the source list, every key of a listed source
 * ({@code sources[0].kinesis.endpoint}), and any processor option or Kafka client property
 * ({@code processor.options.path}, {@code sources[1].kafka.properties.security.protocol}).
 * An environment variable is the key in capitals with {@code _} for {@code .} and brackets:
 * {@code STREAMFLEET_SOURCES_0_KINESIS_ENDPOINT}.
 */
final class ConfigOverrides {

    /** The scalar keys outside the source list. */
    static final List<String> SCALARS = List.of("application", "zookeeper.connect", "zookeeper.sessionTimeout",
            "zookeeper.auth.username", "zookeeper.auth.password",
            "checkpoints.table", "checkpoints.region", "checkpoints.endpoint", "checkpoints.interval", "processor.type",
            "processing.threads", "processing.processorAttempts", "processing.drainTimeout",
            "processing.stuckAfter", "processing.stallAfter",
            "processing.parallelism", "processing.ordering", "processing.maxInFlight", "processing.maxInFlightBytes",
            "processing.deadLetter.kafka.topic", "processing.deadLetter.kafka.bootstrapServers",
            "processing.deadLetter.kinesis.stream", "processing.deadLetter.kinesis.region",
            "processing.deadLetter.kinesis.endpoint",
            "status.bind", "status.port", "status.advertise", "status.leaderPage", "status.jmx", "worker.capacity",
            "balancing.trigger", "balancing.target", "balancing.maxMovedShare", "balancing.minStay");
    static final List<String> KINESIS_KEYS = List.of("stream", "region", "endpoint", "initialPosition", "limit", "idleWait",
            "idleWaitMax", "maxReadsPerSecond", "reader", "consumerName", "consumerArn");
    static final List<String> KAFKA_KEYS = List.of("topic", "bootstrapServers", "initialPosition", "mirrorGroup");
    /** Variables with this prefix that the launcher, not the configuration, reads. */
    static final List<String> LAUNCHER_VARIABLES = List.of("STREAMFLEET_CLASSPATH", "STREAMFLEET_EXT_DIR", "STREAMFLEET_CDS", "STREAMFLEET_CDS_DIR");

    static final String ENV_PREFIX = "STREAMFLEET_";
    private static final String OPTIONS = "processor.options.";
    private static final Pattern SOURCE_KEY = Pattern.compile("sources\\[(\\d+)]\\.(kinesis|kafka)\\.(.+)");
    private static final Pattern SOURCE_VARIABLE = Pattern.compile("SOURCES_(\\d+)_(KINESIS|KAFKA)_(.+)");

    private ConfigOverrides() {
    }

    /** Applies the environment's overrides, then the flags' (sorted by key), to {@code root}. */
    static void apply(ObjectNode root, Map<String, String> environment, Map<String, String> flags) {
        for (Map.Entry<String, String> variable : new TreeMap<>(environment).entrySet()) {
            keyOf(root, variable.getKey()).ifPresent(key -> set(root, key, variable.getValue(), variable.getKey()));
        }
        for (Map.Entry<String, String> flag : new TreeMap<>(flags).entrySet()) {
            set(root, flag.getKey(), flag.getValue(), "--set " + flag.getKey());
        }
    }

    /** One warning per {@code STREAMFLEET_*} variable that names no key, with the nearest variable that does. */
    static List<String> unknownVariables(Map<String, String> environment) {
        List<String> warnings = new ArrayList<>();
        for (String name : new TreeMap<>(environment).keySet()) {
            if (!name.startsWith(ENV_PREFIX) || LAUNCHER_VARIABLES.contains(name) || isKnownVariable(name)) {
                continue;
            }
            warnings.add("environment variable " + name + " sets no configuration key and is ignored; did you mean "
                    + nearest(name) + "?");
        }
        return warnings;
    }

    private static boolean isKnownVariable(String name) {
        String rest = name.substring(ENV_PREFIX.length());
        if (SCALARS.stream().anyMatch(key -> variable(key).equals(name))) {
            return true;
        }
        if (rest.startsWith("PROCESSOR_OPTIONS_") && rest.length() > "PROCESSOR_OPTIONS_".length()) {
            return true;
        }
        Matcher source = SOURCE_VARIABLE.matcher(rest);
        if (!source.matches()) {
            return false;
        }
        List<String> keys = source.group(2).equals("KINESIS") ? KINESIS_KEYS : KAFKA_KEYS;
        return keys.stream().anyMatch(key -> key.toUpperCase(Locale.ROOT).equals(source.group(3)))
                || source.group(2).equals("KAFKA") && source.group(3).startsWith("PROPERTIES_");
    }

    private static String nearest(String name) {
        return Stream.concat(SCALARS.stream(), Stream.concat(
                        KINESIS_KEYS.stream().map(key -> "sources[0].kinesis." + key),
                        KAFKA_KEYS.stream().map(key -> "sources[0].kafka." + key)))
                .map(ConfigOverrides::variable)
                .min(Comparator.comparingInt(candidate -> distance(candidate, name)))
                .orElseThrow();
    }

    /** The environment variable of a key: {@code sources[0].kinesis.endpoint} is {@code STREAMFLEET_SOURCES_0_KINESIS_ENDPOINT}. */
    static String variable(String key) {
        return ENV_PREFIX + key.replace("[", "_").replace("]", "").replace('.', '_').toUpperCase(Locale.ROOT);
    }

    /** The key a variable overrides in this file, if it names one. */
    private static Optional<String> keyOf(ObjectNode root, String name) {
        if (!name.startsWith(ENV_PREFIX) || LAUNCHER_VARIABLES.contains(name)) {
            return Optional.empty();
        }
        Optional<String> scalar = SCALARS.stream().filter(key -> variable(key).equals(name)).findFirst();
        if (scalar.isPresent()) {
            return scalar;
        }
        String rest = name.substring(ENV_PREFIX.length());
        if (rest.startsWith("PROCESSOR_OPTIONS_")) {
            String option = rest.substring("PROCESSOR_OPTIONS_".length());
            return option.isEmpty() ? Optional.empty()
                    : Optional.of(OPTIONS + existingName(root.path("processor").path("options"), option, false));
        }
        Matcher source = SOURCE_VARIABLE.matcher(rest);
        if (!source.matches()) {
            return Optional.empty();
        }
        String kind = source.group(2).toLowerCase(Locale.ROOT);
        String prefix = "sources[" + source.group(1) + "]." + kind + ".";
        String field = source.group(3);
        if (kind.equals("kafka") && field.startsWith("PROPERTIES_")) {
            JsonNode properties = root.path("sources").path(Integer.parseInt(source.group(1))).path(kind).path("properties");
            return Optional.of(prefix + "properties." + existingName(properties, field.substring("PROPERTIES_".length()), true));
        }
        List<String> keys = kind.equals("kinesis") ? KINESIS_KEYS : KAFKA_KEYS;
        return keys.stream().filter(key -> key.toUpperCase(Locale.ROOT).equals(field)).findFirst().map(key -> prefix + key);
    }

    /**
     * The name in {@code map} whose variable form is {@code variablePart}; otherwise the part in
     * lower case, with dots for underscores where names are dotted (Kafka properties).
     */
    private static String existingName(JsonNode map, String variablePart, boolean dotted) {
        for (var names = map.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (name.replace('.', '_').toUpperCase(Locale.ROOT).equals(variablePart)) {
                return name;
            }
        }
        String lower = variablePart.toLowerCase(Locale.ROOT);
        return dotted ? lower.replace('_', '.') : lower;
    }

    private static void set(ObjectNode root, String key, String value, String origin) {
        Matcher source = SOURCE_KEY.matcher(key);
        if (source.matches()) {
            setInSource(root, Integer.parseInt(source.group(1)), source.group(2), source.group(3), value, origin);
        } else if (key.startsWith(OPTIONS) && key.length() > OPTIONS.length()) {
            objectAt(root, "processor", "options").put(key.substring(OPTIONS.length()), value);
        } else if (SCALARS.contains(key)) {
            String[] parts = key.split("\\.");
            objectAt(root, java.util.Arrays.copyOf(parts, parts.length - 1)).put(parts[parts.length - 1], value);
        } else {
            throw new ConfigException(origin + ": not a key that can be overridden (one of " + String.join(", ", SCALARS)
                    + ", processor.options.<name>, sources[<n>].kinesis.<key>, sources[<n>].kafka.<key>,"
                    + " sources[<n>].kafka.properties.<name>)");
        }
    }

    private static void setInSource(ObjectNode root, int index, String kind, String field, String value, String origin) {
        JsonNode sources = root.get("sources");
        if (!(sources instanceof ArrayNode list) || index >= list.size()) {
            throw new ConfigException(origin + ": the configuration lists " + (sources instanceof ArrayNode list
                    ? list.size() : 0) + " source(s), so there is no sources[" + index + "]");
        }
        JsonNode item = list.get(index);
        if (!item.path(kind).isObject()) {
            throw new ConfigException(origin + ": sources[" + index + "] is not a " + kind + " source");
        }
        ObjectNode section = (ObjectNode) item.get(kind);
        if (kind.equals("kafka") && field.startsWith("properties.") && field.length() > "properties.".length()) {
            objectAt(section, "properties").put(field.substring("properties.".length()), value);
            return;
        }
        List<String> keys = kind.equals("kinesis") ? KINESIS_KEYS : KAFKA_KEYS;
        if (!keys.contains(field)) {
            throw new ConfigException(origin + ": a " + kind + " source has no key '" + field + "' that can be overridden"
                    + " (one of " + String.join(", ", keys) + (kind.equals("kafka") ? ", properties.<name>" : "") + ")");
        }
        section.put(field, value);
    }

    private static ObjectNode objectAt(ObjectNode root, String... path) {
        ObjectNode at = root;
        for (String part : path) {
            JsonNode child = at.get(part);
            if (child == null || !child.isObject()) {
                child = at.putObject(part);
            }
            at = (ObjectNode) child;
        }
        return at;
    }

    /** Levenshtein distance, for suggesting the variable that was probably meant. */
    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
