package dev.streamfleet.simulation;

import dev.streamfleet.coordinator.AssignedUnits;
import dev.streamfleet.coordinator.LeaseNodes;
import dev.streamfleet.coordinator.UnreadableAssignmentException;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.coordinator.internal.zk.SimLeaderReads;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The lease keeper's port onto the simulated ensemble, through the worker's connection: reads (the
 * assignment, a lease and its holder) from the worker's server, as production's {@code getData} and
 * {@code checkExists}; writes through the leader.
 */
final class SimLeaseNodes implements LeaseNodes {

    private static final Duration DELETE_RETRY = Duration.ofMillis(200);

    private final SimClient client;
    private final SimZooKeeper zk;
    private final Garbage garbage;

    SimLeaseNodes(SimClient client, Garbage garbage) {
        this.client = client;
        this.garbage = garbage;
        this.zk = client.zk;
    }

    private String me() {
        return client.worker.value();
    }

    @Override
    public CompletionStage<Optional<AssignedUnits>> readAssignment(Runnable onChange) {
        return client.read("read assignment", (session, tree) -> {
            zk.watch("assignment/" + me(), session, client, onChange);
            return Optional.ofNullable(tree.assignments.get(me()));
        }).thenApply(body -> {
            // As production's keeper parses it (CuratorLeaseNodes), with production's ZkJson.
            Optional<AssignedUnits> assigned;
            try {
                assigned = body.map(SimLeaderReads::assignment);
            } catch (IllegalArgumentException e) {
                garbage.handed(client.worker, null);
                throw new UnreadableAssignmentException("the assignment of " + me() + " does not parse: " + e.getMessage());
            }
            garbage.handed(client.worker, assigned.<java.util.Set<UnitId>>map(AssignedUnits::units).orElse(java.util.Set.of()));
            return assigned;
        });
    }

    @Override
    public CompletionStage<OptionalLong> create(UnitId unit, long generation) {
        return client.request("create lease " + unit, session -> {
            long czxid = zk.createLease(unit, session);
            if (czxid < 0) {
                return OptionalLong.empty();
            }
            zk.loop.trace.add(zk.loop.now(), me(), "lease of " + unit + " created, czxid " + czxid);
            return OptionalLong.of(czxid);
        });
    }

    @Override
    public CompletionStage<Optional<Lease>> watch(UnitId unit, Runnable onDeleted) {
        return client.read("watch lease " + unit, (session, tree) -> {
            SimZooKeeper.Lease lease = tree.leases.get(unit);
            if (lease != null) {
                zk.watch("lease/" + unit, session, client, onDeleted);
            }
            return Optional.ofNullable(lease).map(l -> new Lease(l.czxid(), l.session() == session));
        });
    }

    @Override
    public CompletionStage<Void> delete(UnitId unit, long czxid) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        long session = client.sessionId();
        tryDelete(unit, czxid, session, done);
        return done;
    }

    private void tryDelete(UnitId unit, long czxid, long session, CompletableFuture<Void> done) {
        if (client.sessionId() != session || !zk.alive(session)) {
            done.complete(null);
            return;
        }
        client.<Boolean>request("delete lease " + unit, at -> {
            boolean deleted = zk.deleteLease(unit, czxid);
            if (deleted) {
                zk.loop.trace.add(zk.loop.now(), me(), "lease of " + unit + " deleted, czxid " + czxid);
            }
            return deleted;
        }).whenComplete((deleted, failure) -> {
            if (failure instanceof SimClient.ConnectionLoss) {
                client.host.timer(DELETE_RETRY, () -> tryDelete(unit, czxid, session, done));
            } else {
                done.complete(null);
            }
        });
    }

    @Override
    public CompletionStage<Boolean> stillHeld(UnitId unit, long czxid) {
        return client.read("check lease " + unit, (session, tree) -> {
            SimZooKeeper.Lease lease = tree.leases.get(unit);
            return lease != null && lease.czxid() == czxid && lease.session() == session;
        });
    }

    @Override
    public CompletionStage<Void> reportEnded(UnitId unit) {
        return client.request("report " + unit + " ended", session -> {
            zk.addEnded(SimLeaderReads.nodeName(unit));
            return null;
        });
    }

    @Override
    public void removeWatches() {
        zk.removeWatches(client);
    }
}
