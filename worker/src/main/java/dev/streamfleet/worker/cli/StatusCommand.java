package dev.streamfleet.worker.cli;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.coordinator.zk.FleetSnapshot;
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

/** {@code streamfleet status}: the fleet in the terminal, from ZooKeeper and the checkpoint table. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Shows the fleet: leader, workers, and every unit with its owner, position and state. Works while"
                + " the fleet runs or is stopped.")
public final class StatusCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions options = new ConfigOptions();

    @Override
    public Integer call() {
        try (FleetConnections fleet = FleetConnections.open(options.load())) {
            FleetSnapshot snapshot = fleet.zookeeper.read(fleet.config.application());
            List<Checkpoint> rows = fleet.store.list();
            System.out.println(render(snapshot, rows, liveUnits(snapshot), Instant.now()));
        }
        return 0;
    }

    /** Each running worker's own report of its units (lag, state), keyed by unit; workers that do not answer are skipped. */
    static Map<UnitId, com.fasterxml.jackson.databind.JsonNode> liveUnits(FleetSnapshot snapshot) {
        Map<UnitId, com.fasterxml.jackson.databind.JsonNode> units = new HashMap<>();
        new dev.streamfleet.worker.status.WorkerReports(Duration.ofSeconds(1)).fetch(snapshot.workers()).values()
                .forEach(report -> report.path("units").forEach(unit -> units.put(UnitId.parse(unit.path("unit").asText()), unit)));
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
            String state = report != null ? report.path("state").asText() : row == null ? "-" : row.state().name();
            out.append(String.format("%-48s %-32s %-7s %-24s %-14s %s%n", unit, reader, state, position, lag,
                    row == null ? "-" : age(Duration.between(row.updatedAt(), now)) + " ago"));
        }
        if (units.isEmpty()) {
            out.append("(no units have been read yet)\n");
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
