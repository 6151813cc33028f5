package dev.streamfleet.worker.internal.cli;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.coordinator.internal.zk.FleetSnapshot;
import dev.streamfleet.core.PositionCodec;
import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code streamfleet status}: the fleet in the terminal, from ZooKeeper and the checkpoint table. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Shows the fleet: leader, workers, and every unit with its owner, position and state. Works while"
                + " the fleet runs or is stopped.")
public final class StatusCommand implements Callable<Integer> {

    /** How the fleet is shown. */
    enum Output { text, json }

    @Mixin
    ConfigOptions options = new ConfigOptions();

    @Option(names = "--output", defaultValue = "text", description = "text (default), or json: the leader's /api/status"
            + " (workers with their load and capacity, units, the last rebalances and why they happened); while no leader"
            + " answers, what ZooKeeper and the checkpoint table show, with \"leaderReachable\": false.")
    Output output = Output.text;

    @Override
    public Integer call() {
        try (FleetConnections fleet = FleetConnections.open(options.load())) {
            FleetSnapshot snapshot = fleet.zookeeper.read(fleet.config.application());
            List<Checkpoint> rows = fleet.store.list();
            if (output == Output.json) {
                System.out.println(json(snapshot, rows));
            } else {
                System.out.println(render(snapshot, rows, liveUnits(snapshot), Instant.now()));
            }
        }
        return 0;
    }

    /** The leader's own status page as JSON, or, while it does not answer, the fleet as stored. */
    static String json(FleetSnapshot snapshot, List<Checkpoint> rows) {
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        java.util.Optional<WorkerInfo> leader = snapshot.leader().flatMap(id -> snapshot.workers().stream()
                .filter(w -> w.id().equals(id)).findFirst()).filter(w -> !w.statusUrl().isBlank());
        if (leader.isPresent()) {
            try {
                java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
                java.net.http.HttpResponse<String> response = http.send(java.net.http.HttpRequest.newBuilder(
                                java.net.URI.create(leader.get().statusUrl() + "/api/status")).timeout(Duration.ofSeconds(5)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    com.fasterxml.jackson.databind.node.ObjectNode status =
                            (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(response.body());
                    status.put("leaderReachable", true);
                    return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(status);
                }
            } catch (java.io.IOException | RuntimeException e) {
                // Falls back to what is stored.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        com.fasterxml.jackson.databind.node.ObjectNode status = mapper.createObjectNode()
                .put("application", snapshot.application())
                .put("leader", snapshot.leader().map(WorkerId::value).orElse(null))
                .put("generation", snapshot.generation())
                .put("leaderReachable", false);
        com.fasterxml.jackson.databind.node.ArrayNode workers = status.putArray("workers");
        for (WorkerInfo worker : snapshot.workers()) {
            workers.addObject().put("id", worker.id().value()).put("host", worker.host()).put("capacity", worker.capacity())
                    .put("units", snapshot.assignments().getOrDefault(worker.id(), new TreeSet<>()).size());
        }
        Map<UnitId, Checkpoint> byUnit = new HashMap<>();
        rows.forEach(row -> byUnit.put(row.unit(), row));
        TreeSet<UnitId> units = new TreeSet<>(byUnit.keySet());
        units.addAll(snapshot.leaseHolders().keySet());
        com.fasterxml.jackson.databind.node.ArrayNode unitArray = status.putArray("units");
        for (UnitId unit : units) {
            Checkpoint row = byUnit.get(unit);
            com.fasterxml.jackson.databind.node.ObjectNode node = unitArray.addObject().put("unit", unit.toString())
                    .put("owner", snapshot.leaseHolders().containsKey(unit) ? snapshot.leaseHolders().get(unit).value() : null)
                    .put("position", row == null ? null : row.position().map(PositionCodec::encode).orElse(null))
                    .put("state", row == null ? null : row.isQuarantined() ? "FAILED" : row.state().name());
            if (row != null && row.isQuarantined()) {
                node.put("failure", "checkpoint row quarantined: " + row.quarantined().get());
            }
        }
        com.fasterxml.jackson.databind.node.ArrayNode skipped = status.putArray("skipped");
        snapshot.skipped().forEach(node -> skipped.addObject().put("node", node.node()).put("reason", node.reason()));
        try {
            return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(status);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write the status as JSON", e);
        }
    }

    /** Each running worker's own report of its units (lag, state), keyed by unit; workers that do not answer are skipped. */
    static Map<UnitId, com.fasterxml.jackson.databind.JsonNode> liveUnits(FleetSnapshot snapshot) {
        Map<UnitId, com.fasterxml.jackson.databind.JsonNode> units = new HashMap<>();
        new dev.streamfleet.worker.internal.status.WorkerReports(Duration.ofSeconds(1)).fetch(snapshot.workers()).values()
                .forEach(report -> report.path("units").forEach(unit -> {
                    try {
                        units.put(UnitId.parse(unit.path("unit").asText()), unit);
                    } catch (IllegalArgumentException e) {
                        // A unit this version cannot name (another version's worker): the rest still shows.
                    }
                }));
        return units;
    }

    static String render(FleetSnapshot snapshot, List<Checkpoint> rows, Map<UnitId, com.fasterxml.jackson.databind.JsonNode> live,
                         Instant now) {
        StringBuilder out = new StringBuilder();
        out.append("fleet ").append(snapshot.application()).append(": ")
                .append(snapshot.workers().size()).append(" workers, leader ")
                .append(snapshot.leader().map(WorkerId::value).orElse("none"))
                .append(", generation ").append(snapshot.generation()).append('\n');
        if (!snapshot.workers().isEmpty()) {
            out.append(String.format("%n%-32s %-24s %6s  %s%n", "WORKER", "HOST", "UNITS", "UP"));
            for (WorkerInfo worker : snapshot.workers()) {
                int units = snapshot.assignments().getOrDefault(worker.id(), new TreeSet<>()).size();
                out.append(String.format("%-32s %-24s %6d  %s%n", worker.id(), worker.host(), units,
                        age(Duration.between(worker.startedAt(), now))));
            }
        }
        Map<UnitId, Checkpoint> byUnit = new HashMap<>();
        rows.forEach(row -> byUnit.put(row.unit(), row));
        TreeSet<UnitId> units = new TreeSet<>(byUnit.keySet());
        units.addAll(snapshot.leaseHolders().keySet());
        out.append(String.format("%n%-48s %-32s %-7s %-24s %-14s %s%n", "UNIT", "READER", "STATE", "POSITION", "LAG", "WRITTEN"));
        for (UnitId unit : units) {
            Checkpoint row = byUnit.get(unit);
            String reader = snapshot.leaseHolders().containsKey(unit) ? snapshot.leaseHolders().get(unit).value() : "-";
            String position = row == null ? "-" : row.position().map(PositionCodec::encode).map(StatusCommand::shorten).orElse("-");
            var report = live.get(unit);
            String lag = report == null ? "-" : report.has("millisBehindLatest") ? report.get("millisBehindLatest").asLong() + " ms"
                    : report.has("offsetLag") ? report.get("offsetLag").asLong() + " records" : "-";
            String state = report != null ? report.path("state").asText() : row == null ? "-"
                    : row.isQuarantined() ? "FAILED" : row.state().name();
            out.append(String.format("%-48s %-32s %-7s %-24s %-14s %s%n", unit, reader, state, position, lag,
                    row == null ? "-" : age(Duration.between(row.updatedAt(), now)) + " ago"));
            if (row != null && row.isQuarantined()) {
                out.append("  checkpoint row quarantined: ").append(row.quarantined().get()).append('\n');
            }
        }
        if (units.isEmpty()) {
            out.append("(no units have been read yet)\n");
        }
        if (!snapshot.skipped().isEmpty()) {
            out.append("\nZooKeeper nodes skipped, as this version cannot read them (another version's, a tool's or"
                    + " written by hand):\n");
            snapshot.skipped().forEach(node -> out.append("  ").append(node.node()).append(": ").append(node.reason())
                    .append('\n'));
        }
        return out.toString().stripTrailing();
    }

    private static String shorten(String position) {
        return position.length() <= 24 ? position : position.substring(0, 10) + "…" + position.substring(position.length() - 12);
    }

    private static String age(Duration duration) {
        long seconds = Math.max(0, duration.toSeconds());
        if (seconds < 120) {
            return seconds + "s";
        }
        if (seconds < 7200) {
            return seconds / 60 + "m";
        }
        return seconds / 3600 + "h";
    }
}
