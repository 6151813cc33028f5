package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.coordinator.UnitLoad;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.UnitId;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The bodies of our znodes, written and read. Any of them may have been written by another
 * version, a tool or an operator, so reading parses once, here, into the project's types:
 * lenient about unknown fields (a newer worker may add some), strict about missing ones and
 * about types. A body that does not parse is refused with an {@link IllegalArgumentException}
 * whose one-line message shows the value found; it is never guessed at (an empty assignment, a
 * load of 0, a generation of 0). docs/design.md §"What is trusted" lists what each caller does
 * with a refusal.
 */
final class ZkJson {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** How much of a bad value a message shows. */
    private static final int SHOWN = 200;

    private ZkJson() {
    }

    /** A worker's assignment: the units it should hold, as of a generation. */
    record AssignmentNode(long generation, SortedSet<UnitId> units) {
    }

    /** A lease: who holds a unit, under which generation. */
    record LeaseNode(WorkerId worker, long generation) {
    }

    /**
     * A worker's registration as read.
     *
     * @param info          what it published; its status URL empty when it was not an http or https URL
     * @param statusProblem why the status URL was dropped, when it was
     */
    record WorkerNode(WorkerInfo info, Optional<String> statusProblem) {
    }

    static byte[] worker(WorkerInfo info) {
        ObjectNode node = MAPPER.createObjectNode()
                .put("id", info.id().value())
                .put("host", info.host())
                .put("statusUrl", info.statusUrl())
                .put("startedAt", info.startedAt().toString())
                .put("version", info.version())
                .put("capacity", info.capacity());
        return write(node);
    }

    /**
     * The registration in the node {@code workers/<name>}. A status URL that is not an http or
     * https URL is dropped (the worker is still a worker), with the reason.
     *
     * @throws IllegalArgumentException when the body cannot be read, or names another worker
     */
    static WorkerNode worker(String name, byte[] data) {
        JsonNode node = object(data, "registration");
        String id = text(node, "id", data);
        if (!id.equals(name)) {
            throw new IllegalArgumentException("registration of '" + name + "' names another worker, '" + shown(id) + "': "
                    + shown(data));
        }
        Instant startedAt;
        try {
            startedAt = Instant.parse(text(node, "startedAt", data));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("registration's 'startedAt' is not an instant: " + shown(data));
        }
        int capacity = 1;
        JsonNode capacityNode = node.get("capacity");
        if (capacityNode != null && !capacityNode.isNull()) {
            if (!capacityNode.isIntegralNumber() || !capacityNode.canConvertToInt() || capacityNode.asInt() < 1) {
                throw new IllegalArgumentException("registration's 'capacity' is not a whole number of at least 1: "
                        + shown(data));
            }
            capacity = capacityNode.asInt();
        }
        String statusUrl = text(node, "statusUrl", data);
        Optional<String> statusProblem = statusUrlProblem(statusUrl);
        WorkerInfo info = new WorkerInfo(workerId(id, data), text(node, "host", data),
                statusProblem.isPresent() ? "" : statusUrl, startedAt, text(node, "version", data), capacity);
        return new WorkerNode(info, statusProblem);
    }

    /**
     * Why {@code url} cannot be a worker's status URL, if it cannot: it must be empty (no status
     * endpoints) or an absolute http or https URL with a host and no query or fragment, to which
     * the endpoints' paths are appended.
     */
    static Optional<String> statusUrlProblem(String url) {
        if (url.isEmpty()) {
            return Optional.empty();
        }
        String problem = "statusUrl '" + shown(url) + "' is not an http or https URL";
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null || uri.getRawQuery() != null
                    || uri.getRawFragment() != null) {
                return Optional.of(problem);
            }
            return Optional.empty();
        } catch (URISyntaxException e) {
            return Optional.of(problem);
        }
    }

    static byte[] assignment(long generation, SortedSet<UnitId> units) {
        ObjectNode node = MAPPER.createObjectNode().put("generation", generation);
        ArrayNode array = node.putArray("units");
        units.forEach(unit -> array.add(unit.toString()));
        return write(node);
    }

    /**
     * An assignment: a generation (a whole number, at least 0) and the units, an array of unit ids.
     * Anything else (no node body, {@code {}}, no generation, units of another type, a unit that is
     * not a unit id) is refused, never read as "no units".
     */
    static AssignmentNode assignment(byte[] data) {
        JsonNode node = object(data, "assignment");
        long generation = wholeNumber(node, "generation", data, "assignment");
        if (generation > MAX_GENERATION) {
            throw new IllegalArgumentException("assignment's 'generation' is above " + MAX_GENERATION
                    + ", the largest a leader publishes: " + shown(data));
        }
        JsonNode array = node.get("units");
        if (array == null || !array.isArray()) {
            throw new IllegalArgumentException("assignment's 'units' is not an array of unit ids: " + shown(data));
        }
        SortedSet<UnitId> units = new TreeSet<>();
        for (JsonNode unit : array) {
            if (!unit.isTextual()) {
                throw new IllegalArgumentException("assignment's 'units' holds " + unit + ", not a unit id: " + shown(data));
            }
            units.add(unitId(unit.asText(), data));
        }
        return new AssignmentNode(generation, units);
    }

    /** A worker's units' loads, as it measured them. */
    static byte[] loads(Map<UnitId, UnitLoad> loads) {
        ObjectNode node = MAPPER.createObjectNode();
        ObjectNode units = node.putObject("units");
        new TreeMap<>(loads).forEach((unit, load) -> units.putObject(unit.toString()).put("load", load.load())
                .put("recordsPerSecond", load.recordsPerSecond()).put("bytesPerSecond", load.bytesPerSecond()));
        return write(node);
    }

    /** The loads a worker published: each a unit id and finite, non-negative figures; anything else is refused whole. */
    static Map<UnitId, UnitLoad> loads(byte[] data) {
        JsonNode node = object(data, "loads");
        JsonNode units = node.get("units");
        if (units == null || !units.isObject()) {
            throw new IllegalArgumentException("loads' 'units' is not an object: " + shown(data));
        }
        Map<UnitId, UnitLoad> loads = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = units.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            UnitId unit = unitId(entry.getKey(), data);
            loads.put(unit, new UnitLoad(figure(entry.getValue(), "load", data),
                    figure(entry.getValue(), "recordsPerSecond", data), figure(entry.getValue(), "bytesPerSecond", data)));
        }
        return loads;
    }

    static byte[] lease(WorkerId worker, long generation) {
        return write(MAPPER.createObjectNode().put("workerId", worker.value()).put("generation", generation));
    }

    static LeaseNode lease(byte[] data) {
        JsonNode node = object(data, "lease");
        return new LeaseNode(workerId(text(node, "workerId", data), data), wholeNumber(node, "generation", data, "lease"));
    }

    /**
     * The largest generation an assignment carries, and so the largest a leader publishes: workers
     * of earlier builds refuse {@link Long#MAX_VALUE}.
     */
    static final long MAX_GENERATION = Long.MAX_VALUE - 1;

    /**
     * The largest generation the {@code generation} node holds: the leader publishes the one after
     * it, which must be one its workers accept.
     */
    static final long MAX_GENERATION_NODE = MAX_GENERATION - 1;

    /** The {@code generation} node: a whole number, from 0 to {@link #MAX_GENERATION_NODE}, in decimal. */
    static long generation(byte[] data) {
        String text = data == null ? "" : new String(data, StandardCharsets.UTF_8).trim();
        try {
            long generation = Long.parseLong(text);
            if (generation >= 0 && generation <= MAX_GENERATION_NODE) {
                return generation;
            }
        } catch (NumberFormatException e) {
            // Refused below.
        }
        throw new IllegalArgumentException("'" + shown(text) + "' is not a generation (a whole number from 0 to "
                + MAX_GENERATION_NODE + ")");
    }

    /**
     * The {@code fencing-domain} node: what an {@link Epoch} takes as its domain (1 to 64 characters
     * of A-Z a-z 0-9 . _ -). Nothing is trimmed: a domain is compared as it is stored.
     */
    static String fencingDomain(byte[] data) {
        String domain = data == null ? "" : new String(data, StandardCharsets.UTF_8);
        try {
            new Epoch(domain, 1);
            return domain;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + shown(domain) + "' is not a fencing domain (1-64 characters of"
                    + " A-Z a-z 0-9 . _ -)");
        }
    }

    /**
     * {@code value} as a message shows it: on one line (line breaks and other control characters
     * escaped) and cut after {@value #SHOWN} characters.
     */
    static String shown(String value) {
        StringBuilder out = new StringBuilder(Math.min(value.length(), SHOWN) + 8);
        for (int i = 0; i < value.length() && i < SHOWN; i++) {
            char c = value.charAt(i);
            if (c == '\n') {
                out.append("\\n");
            } else if (c == '\r') {
                out.append("\\r");
            } else if (Character.isISOControl(c)) {
                out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (value.length() > SHOWN) {
            out.append("… (").append(value.length()).append(" characters)");
        }
        return out.toString();
    }

    static String shown(byte[] data) {
        if (data == null) {
            return "(no data)";
        }
        if (data.length == 0) {
            return "(empty)";
        }
        return shown(new String(data, StandardCharsets.UTF_8));
    }

    private static WorkerId workerId(String value, byte[] data) {
        try {
            return WorkerId.of(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + shown(value) + "' is not a worker id: " + shown(data));
        }
    }

    private static UnitId unitId(String value, byte[] data) {
        try {
            return UnitId.parse(value);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("'" + shown(value) + "' is not a unit id: " + shown(data));
        }
    }

    private static long wholeNumber(JsonNode node, String field, byte[] data, String what) {
        JsonNode value = node.get(field);
        if (value == null || !value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < 0) {
            throw new IllegalArgumentException(what + "'s '" + field + "' is " + (value == null ? "missing" : "not a whole"
                    + " number of at least 0") + ": " + shown(data));
        }
        return value.asLong();
    }

    private static double figure(JsonNode unit, String field, byte[] data) {
        JsonNode value = unit.get(field);
        if (value == null || !value.isNumber() || !Double.isFinite(value.asDouble()) || value.asDouble() < 0) {
            throw new IllegalArgumentException("loads' '" + field + "' is not a number of at least 0: " + shown(data));
        }
        return value.asDouble();
    }

    private static String text(JsonNode node, String field, byte[] data) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("'" + field + "' is " + (value == null || value.isNull() ? "missing" : "not text")
                    + ": " + shown(data));
        }
        return value.asText();
    }

    /** The body as a JSON object; anything else (nothing, not JSON, another JSON value) is refused. */
    private static JsonNode object(byte[] data, String what) {
        if (data == null || data.length == 0) {
            throw new IllegalArgumentException("the " + what + " is empty");
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(data);
        } catch (IOException e) {
            throw new IllegalArgumentException("the " + what + " is not JSON: " + shown(data));
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("the " + what + " is not a JSON object: " + shown(data));
        }
        return node;
    }

    private static byte[] write(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
