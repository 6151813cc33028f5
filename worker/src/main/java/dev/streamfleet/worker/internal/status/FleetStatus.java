package dev.streamfleet.worker.internal.status;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.coordinator.RebalanceRecord;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.coordinator.internal.zk.FleetSnapshot;
import dev.streamfleet.core.PositionCodec;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.internal.runtime.StreamWorker;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The fleet's state as the leader sees it, for {@code /api/status} and the page: ZooKeeper's
 * view (workers, leader, generation, who holds what), the checkpoint table (positions, epochs,
 * states), and each worker's own {@code /api/worker} (rates, lag, failures), plus the leader's
 * rebalance history and the throughput history merged from the workers' own ones.
 */
final class FleetStatus {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WORKER_TIMEOUT = Duration.ofSeconds(1);

    private final Supplier<FleetSnapshot> snapshots;
    private final Supplier<List<RebalanceRecord>> rebalanceRecords;
    private final CheckpointListing checkpoints;
    private final Clock clock;
    private final WorkerReports reports = new WorkerReports(WORKER_TIMEOUT);

    FleetStatus(StreamWorker worker, CheckpointStore store, Clock clock) {
        this(worker::fleet, worker::rebalances, store, clock);
    }

    FleetStatus(Supplier<FleetSnapshot> snapshots, Supplier<List<RebalanceRecord>> rebalanceRecords, CheckpointStore store,
                Clock clock) {
        this.snapshots = snapshots;
        this.rebalanceRecords = rebalanceRecords;
        this.checkpoints = new CheckpointListing(store::list, dev.streamfleet.core.MonotonicClock.system(clock));
        this.clock = clock;
    }

    /**
     * The whole status document. A worker whose status URL is not one is shown without its own
     * report and with why ({@code statusSkipped}); a znode that could not be read is listed under
     * {@code skipped}. Neither stops the rest of the document.
     */
    ObjectNode collect() {
        FleetSnapshot fleet = snapshots.get();
        WorkerReports.Fetched fetched = reports.fetchAll(fleet.workers());
        Map<WorkerId, JsonNode> live = fetched.reports();
        ObjectNode status = JSON.createObjectNode()
                .put("application", fleet.application())
                .put("generatedAt", clock.instant().toString())
                .put("leader", fleet.leader().map(WorkerId::value).orElse(null))
                .put("generation", fleet.generation());
        ArrayNode workers = status.putArray("workers");
        for (WorkerInfo info : fleet.workers()) {
            JsonNode report = live.get(info.id());
            double rate = 0;
            double load = 0;
            if (report != null) {
                for (JsonNode unit : report.path("units")) {
                    rate += unit.path("recordsPerSecond").asDouble();
                    load += unit.path("load").asDouble();
                }
            }
            ObjectNode node = workers.addObject();
            node.put("id", info.id().value()).put("host", info.host()).put("statusUrl", info.statusUrl())
                    .put("startedAt", info.startedAt().toString())
                    .put("uptimeSeconds", Duration.between(info.startedAt(), clock.instant()).toSeconds())
                    .put("units", fleet.assignments().getOrDefault(info.id(), new TreeSet<>()).size())
                    .put("recordsPerSecond", rate)
                    .put("capacity", info.capacity())
                    .put("load", load)
                    .put("reachable", report != null);
            fleet.statusProblem(info.id()).or(() -> Optional.ofNullable(fetched.skipped().get(info.id())))
                    .ifPresent(reason -> node.put("statusSkipped", reason));
        }
        ArrayNode skipped = status.putArray("skipped");
        fleet.skipped().forEach(node -> skipped.addObject().put("node", node.node()).put("reason", node.reason()));
        Map<UnitId, JsonNode> unitReports = new HashMap<>();
        live.values().forEach(report -> report.path("units").forEach(unit -> {
            try {
                unitReports.put(UnitId.parse(unit.path("unit").asText()), unit);
            } catch (IllegalArgumentException e) {
                // A report of a unit this version cannot name (another version's worker): the rest still shows.
            }
        }));
        Map<UnitId, Checkpoint> rows = new HashMap<>();
        checkpoints.rows().forEach(row -> rows.put(row.unit(), row));
        TreeSet<UnitId> units = new TreeSet<>(rows.keySet());
        units.addAll(fleet.leaseHolders().keySet());
        fleet.assignments().values().forEach(units::addAll);
        ArrayNode unitArray = status.putArray("units");
        Map<UnitId, String> quarantined = new HashMap<>();
        rows.forEach((unit, row) -> row.quarantined().ifPresent(reason -> quarantined.put(unit,
                "checkpoint row quarantined: " + reason)));
        for (UnitId unit : attentionFirst(units, unitReports, quarantined.keySet())) {
            Checkpoint row = rows.get(unit);
            JsonNode report = unitReports.get(unit);
            ObjectNode node = unitArray.addObject().put("unit", unit.toString())
                    .put("source", unit.kind().id() + "/" + unit.stream())
                    .put("owner", fleet.leaseHolders().containsKey(unit) ? fleet.leaseHolders().get(unit).value() : null)
                    .put("epoch", row == null ? null : row.epoch().map(Object::toString).orElse(null))
                    .put("position", row == null ? null : row.position().map(PositionCodec::encode).orElse(null))
                    .put("state", report != null ? report.path("state").asText()
                            : quarantined.containsKey(unit) ? "FAILED"
                            : row != null && row.isEnded() ? "ENDED" : "NOT READING");
            if (quarantined.containsKey(unit)) {
                // The owner's own report says the same once it has claimed; a unit nobody holds says it here.
                node.put("failure", quarantined.get(unit));
            }
            if (report != null) {
                node.put("recordsPerSecond", report.path("recordsPerSecond").asDouble());
                if (report.has("millisBehindLatest")) {
                    node.put("millisBehindLatest", report.path("millisBehindLatest").asLong());
                }
                if (report.has("offsetLag")) {
                    node.put("offsetLag", report.path("offsetLag").asLong());
                }
                for (String lanes : new String[] {"inFlight", "busyLanes", "finishedBeyondWatermark", "deadLettered"}) {
                    if (report.has(lanes)) {
                        node.put(lanes, report.path(lanes).asLong());
                    }
                }
                if (report.has("failure")) {
                    node.put("failure", report.path("failure").asText());
                }
                if (report.has("stalled")) {
                    node.put("stalled", report.path("stalled").asText());
                }
                if (report.has("retrying")) {
                    node.put("retrying", report.path("retrying").asText());
                }
                if (report.has("retentionSkipped")) {
                    node.put("retentionSkipped", report.path("retentionSkipped").asText());
                }
            }
        }
        ArrayNode rebalances = status.putArray("rebalances");
        List<RebalanceRecord> records = rebalanceRecords.get();
        for (int i = records.size() - 1; i >= 0 && i >= records.size() - 10; i--) {
            RebalanceRecord record = records.get(i);
            rebalances.addObject().put("generation", record.generation()).put("at", record.at().toString())
                    .put("workers", record.workers()).put("units", record.units()).put("moved", record.moved())
                    .put("writes", record.writes()).put("tookMillis", record.took().toMillis())
                    .put("settledMillis", record.settled().map(Duration::toMillis).orElse(null))
                    .put("reason", record.reason())
                    .set("movedUnits", JSON.valueToTree(record.movedUnits().stream().map(UnitId::toString).toList()));
        }
        ArrayNode chart = status.putArray("history");
        FleetHistory.merge(live.values().stream().map(FleetStatus::history).toList())
                .forEach(point -> chart.add(point.toJson()));
        return status;
    }

    private static List<HistoryPoint> history(JsonNode report) {
        List<HistoryPoint> points = new java.util.ArrayList<>();
        report.path("history").forEach(node -> HistoryPoint.fromJson(node).ifPresent(points::add));
        return points;
    }

    /**
     * FAILED units (or units whose checkpoint row is quarantined) first, then STALLED or retrying ones
     * and ones whose reads skipped records no longer retained, then the rest, each group in unit
     * order: what needs an operator leads.
     */
    static List<UnitId> attentionFirst(java.util.Collection<UnitId> units, Map<UnitId, JsonNode> reports,
                                       java.util.Set<UnitId> quarantined) {
        return units.stream().sorted(java.util.Comparator.comparingInt((UnitId unit) -> {
            JsonNode report = reports.get(unit);
            if (quarantined.contains(unit)) {
                return 0;
            }
            if (report == null) {
                return 2;
            }
            return report.path("state").asText().equals("FAILED") ? 0
                    : report.has("stalled") || report.has("retrying") || report.has("retentionSkipped") ? 1 : 2;
        }).thenComparing(java.util.Comparator.naturalOrder())).toList();
    }
}
