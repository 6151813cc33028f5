package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.core.UnitId;

import java.io.IOException;
import java.time.Instant;
import java.util.SortedSet;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The JSON bodies of our znodes. Reading is lenient about unknown fields (a newer worker may
 * add some) and strict about missing ones; a body it cannot read is reported as such, never
 * guessed at.
 */
final class ZkJson {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ZkJson() {
    }

    /** A worker's assignment: the units it should hold, as of a generation. */
    record AssignmentNode(long generation, SortedSet<UnitId> units) {
    }

    /** A lease: who holds a unit, under which generation. */
    record LeaseNode(WorkerId worker, long generation) {
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

    static WorkerInfo worker(byte[] data) {
        JsonNode node = read(data, "worker");
        return new WorkerInfo(WorkerId.of(text(node, "id")), text(node, "host"), text(node, "statusUrl"),
                Instant.parse(text(node, "startedAt")), text(node, "version"), node.path("capacity").asInt(1));
    }

    static byte[] assignment(long generation, SortedSet<UnitId> units) {
        ObjectNode node = MAPPER.createObjectNode().put("generation", generation);
        ArrayNode array = node.putArray("units");
        units.forEach(unit -> array.add(unit.toString()));
        return write(node);
    }

    static AssignmentNode assignment(byte[] data) {
        JsonNode node = read(data, "assignment");
        SortedSet<UnitId> units = new TreeSet<>();
        for (JsonNode unit : node.path("units")) {
            units.add(UnitId.parse(unit.asText()));
        }
        return new AssignmentNode(node.path("generation").asLong(), units);
    }

    /** A worker's units' loads, as it measured them. */
    static byte[] loads(java.util.Map<UnitId, dev.streamfleet.coordinator.UnitLoad> loads) {
        ObjectNode node = MAPPER.createObjectNode();
        ObjectNode units = node.putObject("units");
        new java.util.TreeMap<>(loads).forEach((unit, load) -> units.putObject(unit.toString()).put("load", load.load())
                .put("recordsPerSecond", load.recordsPerSecond()).put("bytesPerSecond", load.bytesPerSecond()));
        return write(node);
    }

    static java.util.Map<UnitId, dev.streamfleet.coordinator.UnitLoad> loads(byte[] data) {
        JsonNode node = read(data, "loads");
        java.util.Map<UnitId, dev.streamfleet.coordinator.UnitLoad> loads = new java.util.HashMap<>();
        node.path("units").fields().forEachRemaining(entry -> loads.put(UnitId.parse(entry.getKey()),
                new dev.streamfleet.coordinator.UnitLoad(entry.getValue().path("load").asDouble(),
                        entry.getValue().path("recordsPerSecond").asDouble(), entry.getValue().path("bytesPerSecond").asDouble())));
        return loads;
    }

    static byte[] lease(WorkerId worker, long generation) {
        return write(MAPPER.createObjectNode().put("workerId", worker.value()).put("generation", generation));
    }

    static LeaseNode lease(byte[] data) {
        JsonNode node = read(data, "lease");
        return new LeaseNode(WorkerId.of(text(node, "workerId")), node.path("generation").asLong());
    }


    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException("znode body lacks '" + field + "': " + node);
        }
        return value.asText();
    }

    private static JsonNode read(byte[] data, String what) {
        try {
            return MAPPER.readTree(data == null ? new byte[0] : data);
        } catch (IOException e) {
            throw new IllegalArgumentException("unreadable " + what + " znode body: " + e.getMessage(), e);
        }
    }

    private static byte[] write(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
