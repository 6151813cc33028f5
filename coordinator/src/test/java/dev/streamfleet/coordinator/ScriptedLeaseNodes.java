package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Lease znodes as a map, for the keeper's tests: one session per owner name, creation zxids
 * counted up, one-shot deletion watches, and creates that a test may hold back to play a race.
 */
public final class ScriptedLeaseNodes implements LeaseNodes {

    /** A lease as ZooKeeper would hold it. */
    public record Node(String session, long czxid) {
    }

    private final String session;
    private final Map<UnitId, Node> nodes = new HashMap<>();
    private final Map<UnitId, List<Runnable>> deletionWatches = new HashMap<>();
    private final List<Runnable> assignmentWatches = new ArrayList<>();
    private final List<CompletableFuture<Void>> heldCreates = new ArrayList<>();
    public final List<UnitId> endedReports = new ArrayList<>();
    private Optional<AssignedUnits> assignment = Optional.empty();
    /** Why the assignment node cannot be read, while it cannot. */
    private Optional<String> unreadable = Optional.empty();
    /** How many times the keeper read its assignment. */
    int assignmentReads;
    private long zxid = 100;
    public boolean holdCreates;
    /** Holds back only the next create, on its own gate in {@link #createGates}. */
    public boolean holdNextCreate;
    public final List<CompletableFuture<Void>> createGates = new ArrayList<>();
    /** Holds back every delete, each on its own gate in {@link #deleteGates}. */
    public boolean holdDeletes;
    public final List<CompletableFuture<Void>> deleteGates = new ArrayList<>();
    public boolean sessionMoved;
    /** Looking at a lease fails (the connection dropped). */
    public boolean watchFails;
    /** The next create is applied by the server, but its answer is lost: the caller sees a connection loss. */
    public boolean loseNextCreateAnswer;
    /** The check of a lease cannot be made (the connection dropped again): {@code stillHeld} fails. */
    public boolean stillHeldFails;
    /** Someone deletes the lease just before the next look at it reaches the server (an operator's reset). */
    public boolean deleteBeforeNextWatch;
    /** How many of the next reports of an ended unit fail. */
    public int failingEndedReports;

    public ScriptedLeaseNodes(String session) {
        this.session = session;
    }

    /** The leader publishes a new assignment for this worker. */
    public void assign(long generation, UnitId... units) {
        assignment = Optional.of(new AssignedUnits(generation, new TreeSet<>(List.of(units))));
        unreadable = Optional.empty();
        fireAssignmentChanged();
    }

    /** Someone writes an assignment node this version cannot read (another version, a tool, an operator). */
    void assignUnreadable(String why) {
        unreadable = Optional.of(why);
        fireAssignmentChanged();
    }

    private void fireAssignmentChanged() {
        List<Runnable> fire = new ArrayList<>(assignmentWatches);
        assignmentWatches.clear();
        fire.forEach(Runnable::run);
    }

    /** Another worker's session holds the unit's lease. */
    public long createdBy(String owner, UnitId unit) {
        Node node = new Node(owner, ++zxid);
        nodes.put(unit, node);
        return node.czxid();
    }

    /** Someone (an operator, an expired session) deletes the lease. */
    public void deletedBySomeone(UnitId unit) {
        if (nodes.remove(unit) != null) {
            fireDeleted(unit);
        }
    }

    public Optional<Node> lease(UnitId unit) {
        return Optional.ofNullable(nodes.get(unit));
    }

    /** Lets the creates held back so far go through, in order. */
    public void releaseCreates() {
        List<CompletableFuture<Void>> held = new ArrayList<>(heldCreates);
        heldCreates.clear();
        held.forEach(gate -> gate.complete(null));
    }

    @Override
    public CompletionStage<Optional<AssignedUnits>> readAssignment(Runnable onChange) {
        assignmentWatches.add(onChange);
        assignmentReads++;
        if (unreadable.isPresent()) {
            return CompletableFuture.failedFuture(new UnreadableAssignmentException(unreadable.get()));
        }
        return CompletableFuture.completedFuture(assignment);
    }

    @Override
    public CompletionStage<OptionalLong> create(UnitId unit, long generation) {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        if (holdCreates) {
            heldCreates.add(gate);
        } else if (holdNextCreate) {
            holdNextCreate = false;
            createGates.add(gate);
        } else {
            gate.complete(null);
        }
        boolean loseAnswer = loseNextCreateAnswer;
        loseNextCreateAnswer = false;
        return gate.thenApply(ignored -> {
            if (nodes.containsKey(unit)) {
                return OptionalLong.empty();
            }
            Node node = new Node(session, ++zxid);
            nodes.put(unit, node);
            if (loseAnswer) {
                throw new IllegalStateException("ConnectionLoss: the create was applied, its answer lost");
            }
            return OptionalLong.of(node.czxid());
        });
    }

    @Override
    public CompletionStage<Optional<Lease>> watch(UnitId unit, Runnable onDeleted) {
        if (watchFails) {
            return CompletableFuture.failedFuture(new IllegalStateException("ConnectionLoss"));
        }
        if (deleteBeforeNextWatch) {
            deleteBeforeNextWatch = false;
            deletedBySomeone(unit);
            // As ZooKeeper's exists on a missing node: the watch set waits for a create, which a deletion watch ignores.
            return CompletableFuture.completedFuture(Optional.empty());
        }
        deletionWatches.computeIfAbsent(unit, u -> new ArrayList<>()).add(onDeleted);
        return CompletableFuture.completedFuture(Optional.ofNullable(nodes.get(unit))
                .map(node -> new Lease(node.czxid(), node.session().equals(session))));
    }

    @Override
    public CompletionStage<Void> delete(UnitId unit, long czxid) {
        if (holdDeletes) {
            CompletableFuture<Void> gate = new CompletableFuture<>();
            deleteGates.add(gate);
            return gate.thenCompose(ignored -> deleteNow(unit, czxid));
        }
        return deleteNow(unit, czxid);
    }

    private CompletionStage<Void> deleteNow(UnitId unit, long czxid) {
        Node node = nodes.get(unit);
        if (node != null && node.czxid() == czxid) {
            nodes.remove(unit);
            fireDeleted(unit);
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Boolean> stillHeld(UnitId unit, long czxid) {
        if (stillHeldFails) {
            return CompletableFuture.failedFuture(new IllegalStateException("ConnectionLoss"));
        }
        Node node = nodes.get(unit);
        return CompletableFuture.completedFuture(!sessionMoved && node != null && node.czxid() == czxid);
    }

    @Override
    public CompletionStage<Void> reportEnded(UnitId unit) {
        if (failingEndedReports > 0) {
            failingEndedReports--;
            return CompletableFuture.failedFuture(new IllegalStateException("ZooKeeper connection lost"));
        }
        endedReports.add(unit);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void removeWatches() {
        deletionWatches.clear();
        assignmentWatches.clear();
    }

    private void fireDeleted(UnitId unit) {
        List<Runnable> fire = deletionWatches.remove(unit);
        if (fire != null) {
            fire.forEach(Runnable::run);
        }
    }
}
