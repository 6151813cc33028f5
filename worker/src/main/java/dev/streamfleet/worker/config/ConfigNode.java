package dev.streamfleet.worker.config;

import dev.streamfleet.core.Position;
import dev.streamfleet.core.PositionCodec;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * A section of the configuration with its dotted path, for reading values with errors that name
 * the key: {@code zookeeper.sessionTimeout: expected a duration such as 10s, got 'ten'}.
 */
final class ConfigNode {

    private final String path;
    private final JsonNode node;

    ConfigNode(String path, JsonNode node) {
        this.path = path;
        this.node = node;
    }

    String key(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    /** Fails on any key that is not one of {@code allowed}. */
    ConfigNode allowOnly(Set<String> allowed) {
        if (!node.isObject()) {
            throw new ConfigException((path.isEmpty() ? "the configuration" : path) + ": expected a mapping of keys");
        }
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw new ConfigException("unknown key '" + key(name) + "' (allowed here: " + String.join(", ",
                        new java.util.TreeSet<>(allowed)) + ")");
            }
        }
        return this;
    }

    boolean has(String name) {
        JsonNode value = node.get(name);
        return value != null && !value.isNull();
    }

    ConfigNode section(String name) {
        if (!has(name)) {
            throw new ConfigException("missing required key '" + key(name) + "'");
        }
        return new ConfigNode(key(name), node.get(name));
    }

    /** The section, or an empty one where the file leaves it out: for sections whose every key has a default. */
    ConfigNode sectionOrEmpty(String name) {
        return has(name) ? section(name) : new ConfigNode(key(name), JsonNodeFactory.instance.objectNode());
    }

    Optional<ConfigNode> optionalSection(String name) {
        return has(name) ? Optional.of(section(name)) : Optional.empty();
    }

    List<ConfigNode> list(String name) {
        ConfigNode list = section(name);
        if (!list.node.isArray() || list.node.isEmpty()) {
            throw new ConfigException(list.path + ": expected a non-empty list");
        }
        List<ConfigNode> items = new ArrayList<>();
        for (int i = 0; i < list.node.size(); i++) {
            items.add(new ConfigNode(list.path + "[" + i + "]", list.node.get(i)));
        }
        return items;
    }

    String text(String name) {
        JsonNode value = section(name).node;
        if (!value.isValueNode() || value.asText().isBlank()) {
            throw new ConfigException(key(name) + ": expected a non-empty text value");
        }
        return value.asText();
    }

    String text(String name, String fallback) {
        return has(name) ? text(name) : fallback;
    }

    Optional<String> optionalText(String name) {
        return has(name) ? Optional.of(text(name)) : Optional.empty();
    }

    int integer(String name, int fallback, int min, int max) {
        if (!has(name)) {
            return fallback;
        }
        JsonNode value = node.get(name);
        int parsed;
        if (value.isInt()) {
            parsed = value.asInt();
        } else if (value.isTextual() && value.asText().matches("-?\\d{1,9}")) {
            parsed = Integer.parseInt(value.asText());
        } else {
            throw new ConfigException(key(name) + ": expected a whole number, got '" + value.asText() + "'");
        }
        if (parsed < min || parsed > max) {
            throw new ConfigException(key(name) + ": expected a number from " + min + " to " + max + ", got " + parsed);
        }
        return parsed;
    }

    /** {@code true} or {@code false}, as a YAML boolean or as text (an environment variable). */
    boolean bool(String name, boolean fallback) {
        if (!has(name)) {
            return fallback;
        }
        JsonNode value = node.get(name);
        if (value.isBoolean()) {
            return value.asBoolean();
        }
        String text = value.asText().strip();
        if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(text);
        }
        throw new ConfigException(key(name) + ": expected true or false, got '" + text + "'");
    }

    double decimal(String name, double fallback, double min, double max) {
        if (!has(name)) {
            return fallback;
        }
        return decimalValue(key(name), node.get(name), min, max);
    }

    /** A number from {@code min} to {@code max}, written as a YAML number or as text. */
    static double decimalValue(String key, JsonNode value, double min, double max) {
        double parsed;
        if (value.isNumber()) {
            parsed = value.asDouble();
        } else if (value.isTextual() && value.asText().strip().matches("-?\\d+(\\.\\d+)?")) {
            parsed = Double.parseDouble(value.asText().strip());
        } else {
            throw new ConfigException(key + ": expected a number, got '" + value.asText() + "'");
        }
        if (!(parsed >= min && parsed <= max)) {
            throw new ConfigException(key + ": expected a number from " + min + " to " + max + ", got " + parsed);
        }
        return parsed;
    }

    Duration duration(String name, Duration fallback) {
        if (!has(name)) {
            return fallback;
        }
        try {
            return Durations.parse(node.get(name).asText());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key(name) + ": " + e.getMessage());
        }
    }

    /** A duration of at least {@code min}. */
    Duration duration(String name, Duration fallback, Duration min) {
        Duration value = duration(name, fallback);
        if (value.compareTo(min) < 0) {
            throw new ConfigException(key(name) + ": expected at least " + Durations.format(min) + ", got "
                    + node.get(name).asText().trim());
        }
        return value;
    }

    /** A duration between {@code min} and {@code max}. */
    Duration duration(String name, Duration fallback, Duration min, Duration max) {
        Duration value = duration(name, fallback, min);
        if (value.compareTo(max) > 0) {
            throw new ConfigException(key(name) + ": expected at most " + Durations.format(max) + ", got "
                    + node.get(name).asText().trim());
        }
        return value;
    }

    Optional<URI> uri(String name) {
        if (!has(name)) {
            return Optional.empty();
        }
        String text = text(name);
        try {
            URI uri = URI.create(text);
            if (uri.getScheme() == null || uri.getHost() == null) {
                throw new IllegalArgumentException("no scheme or host");
            }
            return Optional.of(uri);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key(name) + ": expected a URL such as http://127.0.0.1:8000, got '" + text + "'");
        }
    }

    /** TRIM_HORIZON, LATEST or AT_TIMESTAMP:<ISO-8601 instant> (also a bare instant). */
    Position startingPoint(String name, Position fallback) {
        if (!has(name)) {
            return fallback;
        }
        String text = text(name);
        try {
            if (text.matches("\\d{4}-.*")) {
                return new Position.AtTimestamp(Instant.parse(text));
            }
            Position position = PositionCodec.decode(text);
            if (position.isRecordPosition()) {
                throw new IllegalArgumentException("a record position");
            }
            return position;
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new ConfigException(key(name) + ": expected TRIM_HORIZON, LATEST or AT_TIMESTAMP:<ISO-8601 instant>, got '"
                    + text + "'");
        }
    }

    /** A mapping of text keys to text values, such as client properties. */
    Map<String, String> textMap(String name) {
        Map<String, String> values = new LinkedHashMap<>();
        if (!has(name)) {
            return values;
        }
        ConfigNode map = section(name);
        if (!map.node.isObject()) {
            throw new ConfigException(map.path + ": expected a mapping of keys to values");
        }
        map.node.fields().forEachRemaining(entry -> {
            if (!entry.getValue().isValueNode()) {
                throw new ConfigException(map.path + "." + entry.getKey() + ": expected a text value");
            }
            values.put(entry.getKey(), entry.getValue().asText());
        });
        return values;
    }

    String path() {
        return path;
    }
}
