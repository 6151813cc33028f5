package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.coordinator.AssignedUnits;
import dev.streamfleet.coordinator.AssignmentNodes;
import dev.streamfleet.coordinator.FleetReads;
import dev.streamfleet.coordinator.UnitDiscovery;
import dev.streamfleet.coordinator.UnitLoad;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.core.UnitId;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;

/**
 * Opens production's package-private {@link LeaderReads}, {@link ZkJson} and {@link SkippedNodes}
 * to the fleet simulation: its simulated leader reads a server's znodes through
 * {@link SimLeaderZnodes} and production's {@code LeaderReads}, which parses and skips them as it
 * does against a real ensemble; the simulated workers write their nodes in production's format.
 * Forwards only; every decision stays in production's classes.
 */
public final class SimLeaderReads {

    /** The application the simulated fleet runs: its znodes are under {@code /streamfleet/simulation}. */
    private static final ZkPaths PATHS = new ZkPaths("simulation");

    /** The areas of the layout that the leader lists. */
    public enum Area { WORKERS, ASSIGNMENTS, LOADS, ENDED }

    /** A node's data and its ephemeral owner (0 for a persistent node). */
    public record Znode(byte[] data, long ephemeralOwner) {
    }

    /** One server's data tree as the leader reads it: the nodes under each area, by name. */
    public interface Znodes {

        /** The names under {@code area}. */
        java.util.Collection<String> children(Area area);

        /** The node {@code name} under {@code area}, or null. */
        Znode node(Area area, String name);
    }

    /** What a rebalance reads, in production's types. */
    public record Reads(SortedSet<WorkerId> workers, Map<WorkerId, Integer> capacities, AssignmentNodes assignments,
                        List<UnitId> ended, Map<UnitId, Double> loads) {
    }

    private final UnitDiscovery discovery;
    private final CheckpointStore store;
    /** This worker's count of skipped nodes, as production's one per process. */
    private final SkippedNodes skipped = new SkippedNodes();

    public SimLeaderReads(UnitDiscovery discovery, CheckpointStore store) {
        this.discovery = discovery;
        this.store = store;
    }

    private LeaderReads over(Znodes tree) {
        return new LeaderReads(new SimLeaderZnodes(tree, PATHS), PATHS, discovery, store, skipped);
    }

    /** A rebalance's reads of one server's tree, in production's order (as {@code RebalanceLoop.rebalance}). */
    public Reads read(Znodes tree) throws Exception {
        LeaderReads reads = over(tree);
        LeaderReads.Live live = reads.live();
        AssignmentNodes nodes = reads.assignmentsAndGenerations().nodes();
        List<UnitId> ended = reads.endedReports().stream().map(ZkPaths::unitOf).toList();
        Map<UnitId, Double> loads = reads.loads(nodes.owners());
        return new Reads(live.workers(), live.capacities(), nodes, ended, loads);
    }

    /** The periodic check's reads of one server's tree. */
    public FleetReads<Exception> checkReads(Znodes tree) {
        return over(tree);
    }

    /** How many bad nodes this worker's leader has skipped. */
    public long skippedCount() {
        return skipped.count();
    }

    /** Whether this worker's leader skips the node {@code name} under {@code area} now. */
    public boolean skips(Area area, String name) {
        return skipped.skips(SimLeaderZnodes.path(PATHS, area) + "/" + name);
    }

    // ---- production's formats

    /** A worker's registration, of capacity 1, without status endpoints. */
    public static byte[] registration(WorkerId worker, Instant startedAt) {
        return ZkJson.worker(new WorkerInfo(worker, "simulated", "", startedAt, "simulation", 1));
    }

    public static byte[] assignment(AssignedUnits assigned) {
        return ZkJson.assignment(assigned.generation(), assigned.units());
    }

    /** @throws IllegalArgumentException when the node does not parse, as production's keeper hears it */
    public static AssignedUnits assignment(byte[] data) {
        ZkJson.AssignmentNode node = ZkJson.assignment(data);
        return new AssignedUnits(node.generation(), node.units());
    }

    public static byte[] loads(Map<UnitId, UnitLoad> loads) {
        return ZkJson.loads(loads);
    }

    /** The name of a unit's node under {@code ended/}. */
    public static String nodeName(UnitId unit) {
        return ZkPaths.nodeName(unit);
    }
}
