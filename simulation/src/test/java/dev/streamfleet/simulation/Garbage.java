package dev.streamfleet.simulation;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.internal.memory.InMemoryCheckpointTable;
import dev.streamfleet.coordinator.AssignedUnits;
import dev.streamfleet.coordinator.UnitState;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.coordinator.internal.zk.SimLeaderReads;
import dev.streamfleet.coordinator.internal.zk.SimLeaderReads.Area;

import java.nio.charset.StandardCharsets;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Garbage where production parses: checkpoint rows that the store would not trust (a hand edit, a
 * newer build's row), assignment nodes that do not parse, and {@code ended/} reports that no row
 * confirms. Each is injected as the real adapter hands it over: the in-memory table stands for
 * the DynamoDB row that does not parse (read returns it quarantined, a claim or write is refused),
 * a garbage assignment body reaches the worker as the unreadable outcome and the leader as an
 * unreadable node, a forged report is a well-formed unit name. The promises checked: a unit
 * whose row is garbage is never started from a guessed position, it is visibly FAILED unless it
 * had nothing to write, its descendants wait, an operator's reset restarts it from there, and a
 * garbage assignment never reads as "no units".
 */
final class Garbage {

    /** A value of the kind a hand edit leaves: the position attribute rewritten as a number. */
    private static final String REASON = "attribute 'pos' is the number %d, not a position string (simulated tampering)";

    private final Fleet fleet;
    private final InMemoryCheckpointTable table;
    /** Units whose row is garbage now, and the position an operator's reset restores. */
    private final Map<UnitId, Position> tampered = new LinkedHashMap<>();
    /** Worker and unit of each claim that the store refused because the row is quarantined, until the next claim. */
    private final Set<String> refused = new HashSet<>();
    /** Per worker, each assignment its keeper was handed, in order: the units, or null for a garbage one. */
    private final Map<String, List<Delivered>> delivered = new LinkedHashMap<>();
    private long deliveries;
    private final long[] counts = new long[Counts.KINDS];

    private record Delivered(long seq, Set<UnitId> units) {
    }

    /** What a run did with garbage, summed over the search to show that each path ran. */
    record Counts(long[] of) {
        static final int KINDS = 14;
        static final int ROWS = 0;
        static final int REFUSED_CLAIMS = 1;
        static final int FAILED_AT_END = 2;
        static final int RESETS = 3;
        static final int ASSIGNMENTS = 4;
        static final int UNREADABLE_READS = 5;
        static final int REPORTS = 6;
        static final int REGISTRATIONS = 7;
        static final int PERSISTENT = 8;
        static final int NAMES = 9;
        static final int LOADS = 10;
        /** Leader reads that met a planted node and found it skipped by production's {@code SkippedNodes}. */
        static final int SEEN_SKIPPED = 11;
        /** Leader reads that counted a worker whose registration does not parse as live. */
        static final int LIVE_UNREADABLE = 12;
        /** Bad nodes the leaders' {@code SkippedNodes} counted. */
        static final int SKIPPED = 13;

        static Counts none() {
            return new Counts(new long[KINDS]);
        }

        Counts plus(Counts other) {
            long[] sum = of.clone();
            for (int i = 0; i < KINDS; i++) {
                sum[i] += other.of[i];
            }
            return new Counts(sum);
        }

        long get(int kind) {
            return of[kind];
        }

        @Override
        public String toString() {
            return String.format("%d garbage rows (%d claims refused, %d units visibly FAILED at the end, %d reset by an"
                            + " operator), %d garbage assignment nodes (%d unreadable reads), %d forged ended/ reports;"
                            + " %d registrations and %d loads nodes that do not parse, %d persistent nodes under workers/,"
                            + " %d garbage names; leaders' reads met them skipped %d times (%d counting an unreadable"
                            + " registration's worker as live), %d bad nodes counted by SkippedNodes",
                    of[ROWS], of[REFUSED_CLAIMS], of[FAILED_AT_END], of[RESETS], of[ASSIGNMENTS], of[UNREADABLE_READS],
                    of[REPORTS], of[REGISTRATIONS], of[LOADS], of[PERSISTENT], of[NAMES], of[SEEN_SKIPPED],
                    of[LIVE_UNREADABLE], of[SKIPPED]);
        }
    }

    Counts counts() {
        long[] now = counts.clone();
        now[Counts.SKIPPED] = fleet.workers.stream().mapToLong(worker -> worker.leader.reads.skippedCount()).sum();
        return new Counts(now);
    }

    /** A unit whose row is garbage was found FAILED with its reason at the end. */
    void failedVisibly(UnitId unit) {
        if (isGarbage(unit)) {
            counts[Counts.FAILED_AT_END]++;
        }
    }

    Garbage(Fleet fleet, InMemoryCheckpointTable table) {
        this.fleet = fleet;
        this.table = table;
    }

    /** The sequence number of the last assignment handed to any keeper; a new processor instance is later than it. */
    long deliveries() {
        return deliveries;
    }

    // ---- checkpoint rows

    /**
     * Replaces a random unit's trusted, not ENDED row with garbage, as a hand edit in DynamoDB would,
     * and in half the cases has an operator reset it to where it was, after a while, as the README
     * says to: {@code checkpoints reset}, which rewrites the row and deletes the lease.
     */
    void tamperRow() {
        List<UnitId> candidates = new ArrayList<>();
        for (UnitId unit : fleet.streams.logs.keySet()) {
            Optional<Checkpoint> row = fleet.rows.read(unit);
            if (row.isPresent() && !row.get().isQuarantined() && !row.get().isEnded() && row.get().position().isPresent()) {
                candidates.add(unit);
            }
        }
        if (candidates.isEmpty()) {
            return;
        }
        SimLoop loop = fleet.loop;
        UnitId unit = candidates.get(loop.random.nextInt(candidates.size()));
        Position before = fleet.rows.read(unit).flatMap(Checkpoint::position).orElseThrow();
        String reason = String.format(REASON, loop.random.nextInt(1_000_000));
        table.quarantine(fleet.rows.application(), unit, reason);
        tampered.put(unit, before);
        counts[Counts.ROWS]++;
        fleet.fault("the checkpoint row of " + unit + " (at " + before + ") is garbage: " + reason);
        if (loop.random.nextBoolean()) {
            Duration after = Duration.ofMillis(2000 + loop.random.nextInt(23_000));
            fleet.world().timer(after, () -> resetOnceFailed(unit, before));
        }
    }

    /**
     * An operator resets a unit that shows FAILED, as the README tells them to. A reset deletes the
     * lease, which the holder hears only a latency later: of a unit that still reads (it has written
     * nothing since the row became garbage) it would overlap the holder's batch in hand with the next
     * owner's, which the promises of this simulation do not allow for. So the operator waits until
     * the holder shows the unit FAILED, or nobody holds it, looking every second until the faults stop.
     */
    private void resetOnceFailed(UnitId unit, Position to) {
        SimZooKeeper.Lease lease = fleet.zk.leases.get(unit);
        boolean failedOrFree = lease == null || fleet.workers.stream().anyMatch(worker -> worker.alive()
                && worker.client.sessionId() == lease.session() && worker.states().get(unit) == UnitState.FAILED);
        if (failedOrFree) {
            reset(unit, to);
        } else if (fleet.loop.elapsed().compareTo(Fleet.FAULTS_UNTIL) < 0) {
            fleet.world().timer(Duration.ofSeconds(1), () -> resetOnceFailed(unit, to));
        }
    }

    /** {@code checkpoints reset --unit … --to <where it was> --yes}: the row rewritten, the lease deleted. */
    private void reset(UnitId unit, Position to) {
        fleet.rows.reset(unit, to);
        tampered.remove(unit);
        counts[Counts.RESETS]++;
        SimZooKeeper zk = fleet.zk;
        SimZooKeeper.Lease lease = zk.leases.get(unit);
        boolean running = lease != null && zk.deleteLease(unit, lease.czxid());
        fleet.trace.add(fleet.loop.now(), "world", "FAULT an operator resets the row of " + unit + " to " + to
                + (running ? "; its lease deleted" : "; no lease"));
    }

    /** Whether the unit's row is garbage now. */
    boolean isGarbage(UnitId unit) {
        return tampered.containsKey(unit);
    }

    /** The store evaluated a claim of {@code unit} by {@code worker}: refused as quarantined, or not. */
    void claimed(String worker, UnitId unit, boolean quarantined) {
        if (quarantined) {
            refused.add(worker + " " + unit);
            counts[Counts.REFUSED_CLAIMS]++;
        } else {
            refused.remove(worker + " " + unit);
        }
    }

    /** A processor instance starts: its worker's last claim of the unit must not have been refused as garbage. */
    void started(Probe probe) {
        if (refused.contains(probe.worker + " " + probe.unit)) {
            fleet.history.violation(probe + " started on " + probe.worker + " although the store refused its claim: the"
                    + " row is garbage, so it reads from a guessed position");
        }
    }

    /**
     * The ancestor of {@code unit} (itself excluded) whose row is garbage, if one is: the unit waits
     * for it, since a parent whose row is quarantined is never read to its end.
     */
    Optional<UnitId> garbageAncestor(UnitId unit) {
        for (UnitId parent : fleet.streams.logs.get(unit).parents) {
            if (isGarbage(parent)) {
                return Optional.of(parent);
            }
            Optional<UnitId> further = garbageAncestor(parent);
            if (further.isPresent()) {
                return further;
            }
        }
        return Optional.empty();
    }

    // ---- znodes

    /** Writes a body over a live worker's assignment node that no worker can parse. */
    void garbleAssignment(List<SimWorker> live) {
        if (live.isEmpty()) {
            return;
        }
        SimWorker worker = live.get(fleet.loop.random.nextInt(live.size()));
        String body = "{\"generation\":\"" + fleet.loop.random.nextInt(1000) + "x\",\"units\":7}";
        fleet.fault("the assignment node of " + worker + " is garbage: " + body);
        fleet.zk.setAssignment(worker.id.value(), body.getBytes(StandardCharsets.UTF_8));
        counts[Counts.ASSIGNMENTS]++;
    }

    /**
     * Writes a well-formed {@code ended/} report for a unit whose row does not say ENDED (a stale or
     * hostile node), preferring a parent not yet read to its end: were the leader to believe it, the
     * children would start too early.
     */
    void forgeEndedReport() {
        List<UnitId> parents = new ArrayList<>();
        List<UnitId> others = new ArrayList<>();
        Set<UnitId> isParent = new HashSet<>();
        fleet.streams.logs.values().forEach(log -> isParent.addAll(log.parents));
        for (SimStreams.Log log : fleet.streams.logs.values()) {
            if (fleet.rows.read(log.unit).map(Checkpoint::isEnded).orElse(false)) {
                continue;
            }
            (isParent.contains(log.unit) ? parents : others).add(log.unit);
        }
        List<UnitId> from = parents.isEmpty() ? others : parents;
        if (from.isEmpty()) {
            return;
        }
        UnitId unit = from.get(fleet.loop.random.nextInt(from.size()));
        fleet.fault("a forged ended/ report of " + unit + ", whose row does not say ENDED");
        fleet.zk.addEnded(SimLeaderReads.nodeName(unit));
        counts[Counts.REPORTS]++;
    }

    /** The keeper of {@code worker} is handed its assignment: the units, or null when the node is garbage. */
    void handed(WorkerId worker, Set<UnitId> units) {
        if (units == null) {
            counts[Counts.UNREADABLE_READS]++;
        }
        delivered.computeIfAbsent(worker.value(), w -> new ArrayList<>()).add(new Delivered(++deliveries, units));
    }

    /**
     * A processor hears {@code revoked}: unless its worker is leaving, an assignment handed to its
     * keeper after the instance was made must have dropped the unit. A keeper that read a garbage
     * assignment as "no units" fails this.
     */
    void revoked(Probe probe) {
        if (probe.worker.leaving()) {
            return;
        }
        for (Delivered d : delivered.getOrDefault(probe.worker.id.value(), List.of())) {
            if (d.seq() > probe.madeAfterDelivery && d.units() != null && !d.units().contains(probe.unit)) {
                return;
            }
        }
        fleet.history.violation(probe + " on " + probe.worker + " was revoked, though no assignment its worker read"
                + " since it started drops " + probe.unit + " (a garbage assignment read as no units?)");
    }

    /** At the end: every garbage assignment node was written over or deleted by the leader. */
    void checkSettled() {
        fleet.zk.assignments.forEach((name, body) -> {
            if (isPlanted(Area.ASSIGNMENTS, name)) {
                return; // A name that is no worker's: the leader leaves it alone.
            }
            try {
                SimLeaderReads.assignment(body);
            } catch (IllegalArgumentException e) {
                fleet.history.violation("the assignment node of " + name + " is still garbage "
                        + Fleet.SETTLED_AT.minus(Fleet.FAULTS_UNTIL).toSeconds() + " s after the faults stopped: "
                        + e.getMessage());
            }
        });
    }

    // ---- znodes the leader reads through production's LeaderReads

    /** The garbage znodes planted, by area and name, with the data planted (which the owner may write over). */
    private final Map<Area, Map<String, byte[]>> planted = new java.util.EnumMap<>(Area.class);
    private int ghosts;

    private boolean isPlanted(Area area, String name) {
        return planted.getOrDefault(area, Map.of()).containsKey(name);
    }

    private void plant(Area area, String name, byte[] data) {
        planted.computeIfAbsent(area, a -> new java.util.TreeMap<>()).put(name, data);
    }

    /**
     * Garbage where production's {@code LeaderReads} parses, drawn from {@code draw} (a generator of
     * its own, so that the other faults stay as they were): a live worker's registration or loads
     * node written over with a body that does not parse, a persistent node under {@code workers/}
     * (no process behind it), or a child of {@code workers/}, {@code assignments/}, {@code loads/}
     * or {@code ended/} that is named after no worker and no unit.
     */
    void garbleZnode(java.util.Random draw, List<SimWorker> live) {
        SimZooKeeper zk = fleet.zk;
        String body = "{\"id\":" + draw.nextInt(1000) + ",\"capacity\":\"lots\"";
        switch (draw.nextInt(4)) {
            case 0 -> {
                if (live.isEmpty()) {
                    return;
                }
                SimWorker worker = live.get(draw.nextInt(live.size()));
                SimLeaderReads.Znode node = zk.registrations.get(worker.id.value());
                if (node == null) {
                    return;
                }
                byte[] data = body.getBytes(StandardCharsets.UTF_8);
                fleet.fault("the registration of " + worker + " is garbage: " + body);
                zk.setRegistration(worker.id.value(), new SimLeaderReads.Znode(data, node.ephemeralOwner()));
                plant(Area.WORKERS, worker.id.value(), data);
                counts[Counts.REGISTRATIONS]++;
            }
            case 1 -> {
                String name = "ghost-" + (++ghosts);
                byte[] data = SimLeaderReads.registration(WorkerId.of(name), fleet.loop.now());
                fleet.fault("a persistent node workers/" + name + ", a well-formed registration held by no session");
                zk.setRegistration(name, new SimLeaderReads.Znode(data, 0));
                plant(Area.WORKERS, name, data);
                counts[Counts.PERSISTENT]++;
            }
            case 2 -> {
                Area area = Area.values()[draw.nextInt(Area.values().length)];
                String name = "not a name:" + draw.nextInt(1000);
                byte[] data = body.getBytes(StandardCharsets.UTF_8);
                fleet.fault("a node " + area.name().toLowerCase(java.util.Locale.ROOT) + "/" + name
                        + ", named after no worker and no unit");
                switch (area) {
                    case WORKERS -> zk.setRegistration(name, new SimLeaderReads.Znode(data, 0));
                    case ASSIGNMENTS -> zk.setAssignment(name, data);
                    case LOADS -> zk.addLoadsNode(name, data);
                    case ENDED -> zk.addEnded(name);
                }
                plant(area, name, data);
                counts[Counts.NAMES]++;
            }
            default -> {
                List<SimWorker> publishing = live.stream().filter(w -> zk.loads.containsKey(w.id.value())).toList();
                if (publishing.isEmpty()) {
                    return;
                }
                SimWorker worker = publishing.get(draw.nextInt(publishing.size()));
                String loads = "{\"" + worker.id.value() + "\":{\"load\":\"" + draw.nextInt(1000) + "%\"}}";
                byte[] data = loads.getBytes(StandardCharsets.UTF_8);
                fleet.fault("the loads node of " + worker + " is garbage: " + loads);
                zk.setLoads(worker.id.value(), data);
                plant(Area.LOADS, worker.id.value(), data);
                counts[Counts.LOADS]++;
            }
        }
    }

    /**
     * A leader read {@code tree} through production's {@code LeaderReads}: each planted node still
     * there as planted was skipped and is counted by its {@code SkippedNodes}; a worker whose
     * registration does not parse counts as live (capacity 1); a persistent node is no live worker.
     */
    void leaderRead(SimWorker leader, SimZooKeeper.Tree tree, SimLeaderReads.Reads reads) {
        planted.forEach((area, nodes) -> nodes.forEach((name, data) -> {
            SimLeaderReads.Znode node = tree.node(area, name);
            if (node == null || (area != Area.ENDED && !java.util.Arrays.equals(node.data(), data))) {
                return; // Gone, or written over by its owner.
            }
            if (!leader.leader.reads.skips(area, name)) {
                fleet.history.violation(leader + " as leader read the garbage node " + area + "/" + name
                        + " without skipping and counting it");
                return;
            }
            counts[Counts.SEEN_SKIPPED]++;
            if (area != Area.WORKERS || !name.matches("[A-Za-z0-9._-]+")) {
                return;
            }
            WorkerId worker = WorkerId.of(name);
            boolean live = reads.workers().contains(worker);
            if (node.ephemeralOwner() == 0 && live) {
                fleet.history.violation(leader + " as leader counted the persistent node workers/" + name + " as a live worker");
            } else if (node.ephemeralOwner() != 0) {
                if (!live || reads.capacities().containsKey(worker)) {
                    fleet.history.violation(leader + " as leader did not count " + name + ", whose registration does"
                            + " not parse, as a live worker of capacity 1: " + reads.workers() + " " + reads.capacities());
                } else {
                    counts[Counts.LIVE_UNREADABLE]++;
                }
            }
        }));
    }
}
