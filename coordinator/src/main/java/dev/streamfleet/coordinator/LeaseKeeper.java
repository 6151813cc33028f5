package dev.streamfleet.coordinator;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.ForeignFencingDomainException;
import dev.streamfleet.checkpoint.QuarantinedRowException;
import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker side of the protocol: makes the units this worker holds follow its assignment.
 *
 * <p>For a newly assigned unit it waits (a watch, not a poll) until the unit's lease is absent,
 * creates it, takes its creation zxid as the epoch, claims the checkpoint row with that epoch
 * and only then starts the unit. For a revoked unit it asks the unit to hand over (final
 * checkpoint) and deletes the lease once the unit says it has, so the next owner starts right
 * after. SUSPENDED pauses every unit; RECONNECTED resumes the units whose lease is still ours;
 * a lost session drops every unit without a checkpoint (docs/design.md §1, §3 and §5).
 *
 * <p>It only reconciles. All its state belongs to one thread, the {@code keeper} scheduler;
 * lease calls are asynchronous and post their outcome back, the row claim runs on
 * {@code claims}, and a unit's commands return stages that the unit completes. It never waits
 * for a unit and never runs user code.
 */
public final class LeaseKeeper implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);
    private static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(2);
    private static final Duration CLOSE_MARGIN = Duration.ofSeconds(5);
    /** The longest wait between tries of reporting an ended unit (the leader also reads the parents' rows). */
    private static final Duration MAX_REPORT_RETRY = Duration.ofSeconds(30);

    private final LeaseNodes leases;
    private final WorkerId me;
    private final String domain;
    private final CheckpointStore store;
    private final UnitWorkFactory factory;
    private final Duration drainTimeout;
    private final Scheduler keeper;
    private final Executor claims;
    private final LeaseValidity validity;
    private final CompletableFuture<Void> handedOver = new CompletableFuture<>();
    private final Runnable assignmentChanged;

    // Owned by the keeper thread.
    private final HeldUnits held = new HeldUnits();
    private SortedSet<UnitId> desired = new TreeSet<>();
    private long generation;
    private final LeaseTaker taker;
    private boolean suspended;
    private boolean closing;

    /**
     * @param keeper a single-threaded scheduler: it owns the keeper's state
     * @param claims where the blocking checkpoint-row claims run
     */
    public LeaseKeeper(LeaseNodes leases, WorkerId me, String domain, CheckpointStore store, UnitWorkFactory factory,
                       Duration drainTimeout, Scheduler keeper, Executor claims, LeaseValidity validity) {
        this.leases = leases;
        this.me = me;
        this.domain = domain;
        this.store = store;
        this.factory = factory;
        this.drainTimeout = drainTimeout;
        this.keeper = keeper;
        this.claims = claims;
        this.validity = validity;
        this.assignmentChanged = () -> keeper.execute(this::readAssignment);
        this.taker = new LeaseTaker(leases, keeper, domain, RETRY_AFTER_FAILURE, () -> generation,
                lease -> !lease.revoked && !closing, new LeaseTaker.Outcome(this::taken,
                        this::notWanted, this::deletedBySomeoneElse));
    }

    public void start() {
        keeper.execute(this::readAssignment);
    }

    /** The state of every unit this worker is handling now. Thread-safe. */
    public Map<UnitId, UnitState> states() {
        return held.states();
    }

    /** Why each FAILED unit stopped. Thread-safe. */
    public Map<UnitId, String> failures() {
        return held.failures();
    }

    /** The connection to ZooKeeper is SUSPENDED: ownership is uncertain, so every unit pauses. */
    public void suspended() {
        keeper.execute(this::pauseAll);
    }

    /** The connection is back with the same session. */
    public void reconnected() {
        keeper.execute(this::resumeConfirmed);
    }

    /** The session is gone, and every lease with it. */
    public void sessionLost() {
        keeper.execute(this::dropAll);
    }

    private void readAssignment() {
        if (closing) {
            return;
        }
        keeper.whenDone(leases.readAssignment(assignmentChanged), (assigned, error) -> {
            if ((error instanceof CompletionException ? error.getCause() : error) instanceof UnreadableAssignmentException) {
                // Never "no units": the units held stay held, and the node's next change brings a read.
                return;
            }
            if (error != null) {
                LOG.warn("could not read this worker's assignment, trying again: {}", error.toString());
                keeper.executeAfter(this::readAssignment, RETRY_AFTER_FAILURE);
            } else if (!closing) {
                reconcile(assigned.orElse(new AssignedUnits(generation, new TreeSet<>())));
            }
        });
    }

    private void reconcile(AssignedUnits assigned) {
        generation = assigned.generation();
        desired = assigned.units();
        for (UnitId unit : desired) {
            if (!held.contains(unit)) {
                taker.take(held.add(unit));
            }
        }
        for (UnitLease lease : held.all()) {
            if (!desired.contains(lease.unit)) {
                revoke(lease);
            }
        }
    }

    /** The lease is ours: claim the checkpoint row with its epoch, then start the unit. */
    private void taken(UnitLease lease) {
        Epoch epoch = lease.epoch;
        keeper.whenDone(CompletableFuture.supplyAsync(() -> store.claim(lease.unit, epoch, me.value()), claims),
                (row, failure) -> claimed(lease, row, failure));
    }

    /**
     * An attempt given up before its lease was taken, because the unit was revoked meanwhile. The
     * unit may have been assigned back while the attempt was in flight (the assignment read saw
     * the revoke, the attempt's record the re-assignment): then it is taken again now, or nobody
     * would take it until the next assignment change.
     */
    private void notWanted(UnitLease lease) {
        lease.moveTo(UnitState.RELEASED);
        takeAgainIfAssigned(lease.unit);
    }

    /**
     * Someone else deleting our lease (an operator's reset does, to restart the unit from its new
     * position) drops the unit at once, without a checkpoint. It is taken again once the dropped
     * unit's batch in hand has returned.
     */
    private void deletedBySomeoneElse(UnitLease lease) {
        LOG.warn("the lease of {} was deleted by someone else; dropping the unit to claim it again", lease.unit);
        // A little later: whoever deleted it may be resetting the unit's row.
        drop(lease, "its lease was deleted by someone else", RETRY_AFTER_FAILURE);
    }

    /**
     * Drops the unit without a checkpoint: LOST at once, and taken again, if it is still assigned
     * here, only once its runner has stopped (the batch in hand returned), never beside it. The
     * runner's stuck bound covers a batch that never returns.
     */
    private void drop(UnitLease lease, String reason, Duration retakeAfter) {
        CompletionStage<Void> stopped = abandon(lease, reason);
        held.dropWhileStopping(lease);
        keeper.whenDone(stopped, (done, error) -> {
            held.stopped(lease.unit);
            keeper.executeAfter(() -> takeAgainIfAssigned(lease.unit), retakeAfter);
        });
    }

    private void claimed(UnitLease lease, Checkpoint row, Throwable error) {
        if (!lease.isCurrent()) {
            return;
        }
        Throwable cause = error instanceof CompletionException ? error.getCause() : error;
        if (cause instanceof QuarantinedRowException quarantined && !lease.revoked && !closing) {
            // Claiming again would read the same row: the unit stays FAILED, and keeps its lease so that no
            // worker of an older build, which would read the row as never checkpointed, starts it meanwhile.
            LOG.error("{} is not read: {}; it keeps its lease and stays FAILED until the row is fixed"
                    + " ('streamfleet checkpoints reset') or the unit is revoked", lease.unit, quarantined.reason());
            lease.work = StoppedWork.INSTANCE;
            lease.step = UnitLease.Step.HELD;
            held.failed(lease, "checkpoint row quarantined: " + quarantined.reason());
            return;
        }
        if (cause != null) {
            if (cause instanceof ForeignFencingDomainException) {
                LOG.error("cannot claim {}: {}", lease.unit, cause.getMessage());
            } else {
                LOG.warn("could not claim {}: {}", lease.unit, cause.toString());
            }
            release(lease, UnitState.LOST, false);
            return;
        }
        if (row.isEnded()) {
            LOG.info("{} is already ENDED; nothing to read", lease.unit);
            release(lease, UnitState.RELEASED, true);
            return;
        }
        if (lease.revoked || closing) {
            release(lease, UnitState.RELEASED, false);
            return;
        }
        try {
            lease.work = factory.start(new UnitContext(lease.unit, lease.epoch, me, row, store, events(lease), validity));
        } catch (RuntimeException e) {
            LOG.error("could not start {}: {}", lease.unit, e.toString());
            release(lease, UnitState.LOST, false);
            return;
        }
        lease.step = UnitLease.Step.HELD;
        lease.moveTo(UnitState.READING);
        if (suspended) {
            lease.work.pause();
            lease.moveTo(UnitState.PAUSED);
        }
    }

    private void revoke(UnitLease lease) {
        lease.revoked = true;
        if (lease.step == UnitLease.Step.RELEASING) {
            // Already giving its lease up (it ended, or was lost): the release in flight finishes the record.
            return;
        }
        switch (lease.state) {
            case CLAIMING -> {
                if (!lease.isTaking() && lease.createUncertain) {
                    // Its last create got no answer and may have been applied: the taker looks at the holder,
                    // deletes the node if it is ours, and only then gives the unit up.
                    taker.take(lease);
                } else if (!lease.isTaking()) {
                    lease.moveTo(UnitState.RELEASED);
                }
                // Otherwise a create or a claim is in flight; its outcome sees the flag.
            }
            case READING, PAUSED -> {
                lease.moveTo(UnitState.DRAINING);
                RevokeReason reason = closing ? RevokeReason.SHUTDOWN : RevokeReason.MOVED;
                keeper.whenDone(lease.work.revoke(drainTimeout, reason), (clean, error) -> {
                    if (lease.isCurrent()) {
                        release(lease, Boolean.TRUE.equals(clean) ? UnitState.RELEASED : UnitState.LOST, false);
                    }
                });
            }
            case FAILED -> release(lease, UnitState.RELEASED, false, lease.work.abandon("revoked after it failed"));
            default -> {
                // DRAINING already, or terminal.
            }
        }
    }

    private void release(UnitLease lease, UnitState terminal, boolean ended) {
        release(lease, terminal, ended, CompletableFuture.completedFuture(null));
    }

    /**
     * Gives the lease up once the unit is done with it ({@code after} completes): deletes it,
     * reports the unit's end when it ended, and then moves the record to {@code terminal}. A unit
     * that is still assigned here is taken again: at once after a clean release, a little later
     * after a loss.
     */
    private void release(UnitLease lease, UnitState terminal, boolean ended, CompletionStage<?> after) {
        if (lease.step == UnitLease.Step.RELEASING) {
            return;
        }
        lease.step = UnitLease.Step.RELEASING;
        CompletionStage<Void> done = after.handle((value, error) -> null)
                .thenCompose(ignored -> leases.delete(lease.unit, lease.czxid));
        keeper.whenDone(done, (ignored, error) -> {
            if (error != null) {
                LOG.warn("could not give up the lease of {} (it goes with the session): {}", lease.unit, error.toString());
            }
            if (ended) {
                reportEnded(lease.unit);
            }
            if (lease.isCurrent()) {
                lease.moveTo(terminal);
            }
            if (terminal == UnitState.RELEASED && !ended) {
                takeAgainIfAssigned(lease.unit);
            } else if (terminal == UnitState.LOST) {
                keeper.executeAfter(() -> takeAgainIfAssigned(lease.unit), RETRY_AFTER_FAILURE);
            }
        });
    }

    /**
     * Tells the leader that the unit ended, so that its children start; tried again until it is
     * written. (The leader also reads the parents' rows, so a report that never lands delays the
     * children by one discovery interval, not forever.)
     */
    private void reportEnded(UnitId unit) {
        reportEnded(unit, RETRY_AFTER_FAILURE);
    }

    private void reportEnded(UnitId unit, Duration retryAfter) {
        keeper.whenDone(leases.reportEnded(unit), (ignored, error) -> {
            if (error != null && !closing) {
                LOG.warn("could not report that {} ended, trying again in {} s: {}", unit, retryAfter.toSeconds(),
                        error.toString());
                Duration next = retryAfter.multipliedBy(2);
                keeper.executeAfter(() -> reportEnded(unit, next.compareTo(MAX_REPORT_RETRY) > 0 ? MAX_REPORT_RETRY : next),
                        retryAfter);
            }
        });
    }

    /** Takes a unit again if it is still assigned here and not held already. */
    private void takeAgainIfAssigned(UnitId unit) {
        if (!closing && desired.contains(unit) && !held.contains(unit)) {
            taker.take(held.add(unit));
        }
    }

    private UnitEvents events(UnitLease lease) {
        return new UnitEvents() {
            @Override
            public void ended() {
                keeper.execute(() -> {
                    // PAUSED too: the end was marked in the store under the unit's epoch, so it stands.
                    if (lease.isCurrent() && (lease.state == UnitState.READING || lease.state == UnitState.PAUSED)) {
                        release(lease, UnitState.ENDED, true);
                    }
                });
            }

            @Override
            public void failed(String reason) {
                keeper.execute(() -> {
                    if (lease.isCurrent() && (lease.state == UnitState.READING || lease.state == UnitState.PAUSED)) {
                        LOG.error("{} stopped: {}; it keeps its lease and stays stopped until it is revoked", lease.unit, reason);
                        held.failed(lease, reason);
                    }
                });
            }

            @Override
            public void lost(String reason) {
                keeper.execute(() -> {
                    if (lease.isCurrent() && lease.step != UnitLease.Step.RELEASING) {
                        LOG.warn("lost {}: {}", lease.unit, reason);
                        release(lease, UnitState.LOST, false);
                    }
                });
            }
        };
    }

    private CompletionStage<Void> abandon(UnitLease lease, String reason) {
        return lease.work == null ? CompletableFuture.completedFuture(null) : lease.work.abandon(reason);
    }

    private void pauseAll() {
        suspended = true;
        LOG.warn("connection to ZooKeeper suspended: pausing {} units until it is back or the session is lost", held.size());
        for (UnitLease lease : held.all()) {
            if (lease.state == UnitState.READING) {
                lease.work.pause();
                lease.moveTo(UnitState.PAUSED);
            }
        }
    }

    private void resumeConfirmed() {
        suspended = false;
        LOG.info("connection to ZooKeeper back with the same session: resuming the units whose leases are still held");
        for (UnitLease lease : held.all()) {
            if (lease.state == UnitState.PAUSED) {
                resumeIfStillHeld(lease);
            }
        }
        readAssignment();
    }

    /**
     * Resumes a paused unit whose lease is still this session's. A check that could not be made
     * (the connection dropped again) is made again later, the unit still paused; one that says no
     * drops the unit and deletes the lease by its creation zxid all the same, which removes only
     * our own node: a "no" that was wrong must not leave a lease that nobody here would ever
     * delete once the unit moves away.
     */
    private void resumeIfStillHeld(UnitLease lease) {
        keeper.whenDone(leases.stillHeld(lease.unit, lease.czxid), (stillOurs, error) -> {
            if (!lease.isCurrent() || lease.state != UnitState.PAUSED || suspended) {
                return;
            }
            if (error != null) {
                LOG.warn("could not check whether the lease of {} survived the disconnection, checking again in {} s: {}",
                        lease.unit, RETRY_AFTER_FAILURE.toSeconds(), error.toString());
                keeper.executeAfter(() -> {
                    if (lease.isCurrent() && lease.state == UnitState.PAUSED && !suspended) {
                        resumeIfStillHeld(lease);
                    }
                }, RETRY_AFTER_FAILURE);
            } else if (Boolean.TRUE.equals(stillOurs)) {
                lease.work.resume();
                lease.moveTo(UnitState.READING);
            } else {
                LOG.warn("lease of {} did not survive the disconnection; dropping it", lease.unit);
                drop(lease, "its lease did not survive a disconnection from ZooKeeper", Duration.ZERO);
                keeper.whenDone(leases.delete(lease.unit, lease.czxid), (ignored, deleteError) -> {
                    if (deleteError != null) {
                        LOG.warn("could not delete the lease of {} (it goes with the session): {}", lease.unit,
                                deleteError.toString());
                    }
                });
            }
        });
    }

    private void dropAll() {
        if (held.size() > 0) {
            LOG.warn("ZooKeeper session lost: dropping {} units without checkpoints", held.size());
        }
        for (UnitLease lease : held.all()) {
            drop(lease, "the ZooKeeper session was lost", Duration.ZERO);
        }
    }

    /** Starts handing every unit over (final checkpoints, leases deleted); the stage completes when all are. */
    public CompletionStage<Void> handOver() {
        keeper.execute(() -> {
            closing = true;
            held.all().forEach(this::revoke);
            held.whenEmpty(handedOver);
        });
        return handedOver;
    }

    /** Hands every unit over, waiting at most the drain timeout plus a margin, then removes the watches. */
    @Override
    public void close() {
        try {
            handOver().toCompletableFuture().get(drainTimeout.plus(CLOSE_MARGIN).toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("units still not handed over at close: {}", held.states().keySet());
        }
        leases.removeWatches();
    }
}
