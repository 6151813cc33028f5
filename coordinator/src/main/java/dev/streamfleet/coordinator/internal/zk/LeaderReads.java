package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.coordinator.AssignmentNodes;
import dev.streamfleet.coordinator.FleetReads;
import dev.streamfleet.coordinator.UnitDiscovery;
import dev.streamfleet.coordinator.UnitLoad;
import dev.streamfleet.coordinator.UnitSpec;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.UnitId;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the leader reads about its fleet: the workers under {@code workers/}, discovery's units,
 * the assignment nodes, the loads workers published, the reports under {@code ended/} and, when
 * asked, a unit's checkpoint row. Everything is parsed here into the project's types; a bad node
 * concerns only its worker or unit and is skipped with a WARN and a count ({@link SkippedNodes}),
 * and a failure of the connection is thrown, so the caller tries again. Runs on the leader's loop
 * thread. It reads ZooKeeper through {@link LeaderZnodes}.
 */
final class LeaderReads implements FleetReads<Exception> {

    private static final Logger LOG = LoggerFactory.getLogger(LeaderReads.class);

    private final LeaderZnodes znodes;
    private final ZkPaths paths;
    private final UnitDiscovery discovery;
    private final CheckpointStore store;
    private final SkippedNodes skipped;

    LeaderReads(LeaderZnodes znodes, ZkPaths paths, UnitDiscovery discovery, CheckpointStore store,
                SkippedNodes skipped) {
        this.znodes = znodes;
        this.paths = paths;
        this.discovery = discovery;
        this.store = store;
        this.skipped = skipped;
    }

    /**
     * The live workers and the capacities they published.
     *
     * @param workers    the workers whose registration a live session holds
     * @param capacities each one's capacity, where its registration could be read
     */
    record Live(SortedSet<WorkerId> workers, Map<WorkerId, Integer> capacities) {
    }

    /** The workers registered under {@code workers/} with a live session, and their capacities. */
    Live live() throws Exception {
        SortedSet<WorkerId> workers = new TreeSet<>();
        Map<WorkerId, Integer> capacities = new HashMap<>();
        for (WorkerId worker : workersUnder(paths.workers(), "it is not a worker of this fleet and gets no units")) {
            if (isLive(worker)) {
                workers.add(worker);
                capacityOf(worker).ifPresent(capacity -> capacities.put(worker, capacity));
            }
        }
        return new Live(workers, capacities);
    }

    /** Every unit discovery knows now, by id. */
    @Override
    public Map<UnitId, UnitSpec> units() {
        Map<UnitId, UnitSpec> units = new HashMap<>();
        for (UnitSpec spec : discovery.discover()) {
            units.put(spec.id(), spec);
        }
        return units;
    }

    @Override
    public AssignmentNodes assignments() throws Exception {
        return assignmentsAndGenerations().nodes();
    }

    /**
     * The assignment nodes as read, and the generation each readable one carries, from which a
     * generation node that does not parse is recovered.
     */
    record Assignments(AssignmentNodes nodes, java.util.Collection<Long> generations) {
    }

    /**
     * The assignment nodes as read: those that parse, and the workers whose node does not. A node
     * not named after a worker is skipped and left alone.
     */
    Assignments assignmentsAndGenerations() throws Exception {
        java.util.SortedMap<WorkerId, SortedSet<UnitId>> readable = new java.util.TreeMap<>();
        List<Long> generations = new ArrayList<>();
        Set<WorkerId> unreadable = new HashSet<>();
        Set<WorkerId> forbidden = new HashSet<>();
        for (WorkerId worker : workersUnder(paths.assignments(), "it is nobody's assignment and is left alone")) {
            try {
                ZkJson.AssignmentNode node = ZkJson.assignment(znodes.data(paths.assignment(worker)));
                readable.put(worker, node.units());
                generations.add(node.generation());
                skipped.fine(paths.assignment(worker));
            } catch (KeeperException.NoNodeException e) {
                // Deleted between listing and reading.
                skipped.fine(paths.assignment(worker));
            } catch (KeeperException e) {
                skipNodeOrRethrow(paths.assignment(worker), "cannot be read", e,
                        "it is left alone, and its worker gets no units while it cannot be read");
                forbidden.add(worker);
            } catch (IllegalArgumentException e) {
                skipped.skipped(paths.assignment(worker), e.getMessage(), "the next rebalance writes a readable one over it");
                unreadable.add(worker);
            }
        }
        return new Assignments(new AssignmentNodes(readable, unreadable, forbidden), generations);
    }

    /**
     * The loads workers published: the current owner's figure for each unit, or, for a unit that
     * moved and whose new owner has not reported it yet, the previous owner's.
     */
    @Override
    public Map<UnitId, Double> loads(Map<UnitId, WorkerId> owners) throws Exception {
        Map<UnitId, Double> loads = new HashMap<>();
        for (WorkerId worker : workersUnder(paths.loads(), "its loads count as unknown")) {
            try {
                Map<UnitId, UnitLoad> published = ZkJson.loads(znodes.data(paths.loads(worker)));
                skipped.fine(paths.loads(worker));
                published.forEach((unit, load) -> {
                    if (worker.equals(owners.get(unit))) {
                        loads.put(unit, load.load());
                    } else {
                        loads.putIfAbsent(unit, load.load());
                    }
                });
            } catch (KeeperException.NoNodeException e) {
                // The worker is gone; its units count as unknown.
                skipped.fine(paths.loads(worker));
            } catch (KeeperException e) {
                skipNodeOrRethrow(paths.loads(worker), "cannot be read", e, "its units' loads count as unknown");
            } catch (IllegalArgumentException e) {
                skipped.skipped(paths.loads(worker), e.getMessage(), "its units' loads count as unknown");
            }
        }
        return loads;
    }

    /** Whether the unit's row says it ended; a row that cannot be read says no, and is reported, never thrown. */
    @Override
    public boolean saysEnded(UnitId unit) {
        try {
            return store.read(unit).map(c -> c.isEnded()).orElse(false);
        } catch (RuntimeException e) {
            LOG.warn("could not read the checkpoint row of {} to see whether it ended; its children wait: {}", unit,
                    e.toString());
            return false;
        }
    }

    /**
     * Whether a live session holds the worker's registration. Workers register with an ephemeral
     * node; a persistent one (an operator's create, a restored backup) has no process behind it,
     * and units given to it would never be read: it is skipped and counted.
     */
    private boolean isLive(WorkerId worker) throws Exception {
        String path = paths.worker(worker);
        OptionalLong owner = znodes.ephemeralOwner(path);
        if (owner.isEmpty()) {
            skipped.fine(path);
            return false; // Gone meanwhile: its departure is the next change.
        }
        if (owner.getAsLong() == 0) {
            skipped.skipped(path, "a persistent node, held by no session", "it is no live worker and gets no units");
            return false;
        }
        return true;
    }

    /**
     * The capacity the worker published, if its registration can be read. A worker whose
     * registration cannot be read is still a live worker (its ephemeral node exists): it counts
     * with capacity 1.
     */
    private java.util.Optional<Integer> capacityOf(WorkerId worker) throws Exception {
        String path = paths.worker(worker);
        try {
            int capacity = ZkJson.worker(worker.value(), znodes.data(path)).info().capacity();
            skipped.fine(path);
            return java.util.Optional.of(capacity);
        } catch (KeeperException.NoNodeException e) {
            skipped.fine(path);
            // Gone meanwhile: its departure is the next change.
            return java.util.Optional.empty();
        } catch (KeeperException e) {
            skipNodeOrRethrow(path, "cannot be read", e, "the worker counts with capacity 1");
            return java.util.Optional.empty();
        } catch (IllegalArgumentException e) {
            skipped.skipped(path, e.getMessage(), "the worker counts with capacity 1");
            return java.util.Optional.empty();
        }
    }

    /**
     * The children of {@code path} named after workers. Any other name is skipped (with a WARN and
     * a count), so that one bad node never stops the rebalance of the rest.
     */
    private List<WorkerId> workersUnder(String path, String consequence) throws Exception {
        List<WorkerId> workers = new ArrayList<>();
        for (String child : children(path)) {
            try {
                workers.add(ZkPaths.workerOf(child));
            } catch (IllegalArgumentException e) {
                skipped.skipped(path + "/" + child, e.getMessage(), consequence);
            }
        }
        return workers;
    }

    /** The names under {@code ended/} that are unit ids; any other is skipped and left in place. */
    List<String> endedReports() throws Exception {
        List<String> names = new ArrayList<>();
        for (String child : children(paths.ended())) {
            try {
                ZkPaths.unitOf(child);
                names.add(child);
            } catch (IllegalArgumentException e) {
                skipped.skipped(paths.ended() + "/" + child, e.getMessage(), "it is left in place and ends no unit");
            }
        }
        return names;
    }

    /**
     * The children of a container node, which the server deletes while it is empty; missing means
     * none. A bad node under it that is no longer listed is gone, and counts again should it come
     * back: most are never read fine, a bad name or a persistent {@code workers/} node.
     */
    private List<String> children(String path) throws Exception {
        List<String> children;
        try {
            children = znodes.children(path);
        } catch (KeeperException.NoNodeException e) {
            children = List.of();
        }
        skipped.listed(path, children);
        return children;
    }

    /**
     * A failure that concerns the one node (no access, not empty, …) is skipped with a WARN and a
     * count; one that concerns the connection is thrown, so the rebalance is tried again.
     */
    void skipNodeOrRethrow(String path, String what, KeeperException e, String consequence) throws KeeperException {
        switch (e.code()) {
            case CONNECTIONLOSS, SESSIONEXPIRED, OPERATIONTIMEOUT, SESSIONMOVED -> throw e;
            default -> skipped.skipped(path, what + " (" + e.code() + ")", consequence);
        }
    }
}
