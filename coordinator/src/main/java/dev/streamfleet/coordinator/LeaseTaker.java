package dev.streamfleet.coordinator;

import dev.streamfleet.core.Epoch;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a unit's lease for the {@link LeaseKeeper}: creates the ephemeral znode, or waits (a
 * watch, not a poll) until the holder's is gone; deletes a leftover of this session; retries
 * after a failed call. A lease taken gets its creation zxid as the epoch and a watch that reports
 * its deletion by someone else. Runs on the keeper's thread and changes only the lease record's
 * step, czxid and epoch.
 */
final class LeaseTaker {

    private static final Logger LOG = LoggerFactory.getLogger(LeaseTaker.class);

    /**
     * What becomes of an attempt.
     *
     * @param taken                the lease is ours; the record's epoch is set
     * @param notWanted            given up before it was taken: the unit is no longer wanted here
     * @param deletedBySomeoneElse someone else deleted the lease while we held it
     */
    record Outcome(Consumer<UnitLease> taken, Consumer<UnitLease> notWanted, Consumer<UnitLease> deletedBySomeoneElse) {
    }

    private final LeaseNodes leases;
    private final Scheduler keeper;
    private final String domain;
    private final Duration retryAfter;
    private final LongSupplier generation;
    private final Predicate<UnitLease> wanted;
    private final Outcome outcome;

    LeaseTaker(LeaseNodes leases, Scheduler keeper, String domain, Duration retryAfter, LongSupplier generation,
               Predicate<UnitLease> wanted, Outcome outcome) {
        this.leases = leases;
        this.keeper = keeper;
        this.domain = domain;
        this.retryAfter = retryAfter;
        this.generation = generation;
        this.wanted = wanted;
        this.outcome = outcome;
    }

    /** Tries to take the lease now, unless an attempt is already under way or the unit is held. */
    void take(UnitLease lease) {
        if (!lease.isCurrent() || (lease.step != UnitLease.Step.NONE && lease.step != UnitLease.Step.WAITING)) {
            return;
        }
        if (!wanted.test(lease)) {
            if (lease.createUncertain) {
                // The last create failed without an answer: the server may have applied it. Our own node
                // would stay for as long as our session lives, and the unit's next owner would wait on it;
                // looking at the holder deletes it if it is ours, and then gives the unit up.
                waitForHolder(lease);
                return;
            }
            outcome.notWanted().accept(lease);
            return;
        }
        lease.step = UnitLease.Step.CREATING;
        keeper.whenDone(leases.create(lease.unit, generation.getAsLong()), (czxid, error) -> created(lease, czxid, error));
    }

    private void created(UnitLease lease, OptionalLong czxid, Throwable error) {
        if (error != null) {
            LOG.warn("could not create the lease of {}: {}", lease.unit, error.toString());
            lease.createUncertain = true;
            retry(lease);
        } else if (czxid.isEmpty()) {
            // A record dropped meanwhile (its session lost) must not wait, nor take the node for a leftover of
            // its own: that node may be the live lease of the unit's next record. A current one looks at the
            // holder even when it was revoked meanwhile: the node may be its own create, applied before an
            // answer the connection lost, which nobody else would delete.
            if (lease.isCurrent()) {
                waitForHolder(lease);
            }
        } else if (!lease.isCurrent() || !wanted.test(lease)) {
            lease.createUncertain = false;
            leases.delete(lease.unit, czxid.getAsLong());
            lease.step = UnitLease.Step.NONE;
            if (lease.isCurrent()) {
                outcome.notWanted().accept(lease);
            }
        } else {
            lease.createUncertain = false;
            lease.czxid = czxid.getAsLong();
            lease.epoch = new Epoch(domain, lease.czxid);
            lease.step = UnitLease.Step.CLAIMING;
            watchOwn(lease, lease.czxid);
            outcome.taken().accept(lease);
        }
    }

    /**
     * Watches our own lease, created at {@code created}, so that its deletion by someone else (an
     * operator's reset) drops the unit. A watch is set only on a node that exists: a lease deleted
     * before it fires nothing, so its answer is looked at too; a watch that could not be set is set
     * again later rather than leaving the lease unwatched for its whole tenure.
     */
    private void watchOwn(UnitLease lease, long created) {
        keeper.whenDone(leases.watch(lease.unit, () -> keeper.execute(() -> {
            if (lease.isCurrent() && lease.step != UnitLease.Step.RELEASING) {
                outcome.deletedBySomeoneElse().accept(lease);
            }
        })), (now, watchError) -> {
            if (!lease.isCurrent() || lease.czxid != created || lease.step == UnitLease.Step.RELEASING) {
                return;
            }
            if (watchError != null) {
                LOG.warn("could not watch our own lease of {}, watching again in {} ms: {}", lease.unit,
                        retryAfter.toMillis(), watchError.toString());
                keeper.executeAfter(() -> watchOwn(lease, created), retryAfter);
            } else if (now.map(found -> found.czxid() != created).orElse(true)) {
                outcome.deletedBySomeoneElse().accept(lease);
            }
        });
    }

    private void waitForHolder(UnitLease lease) {
        lease.step = UnitLease.Step.WAITING;
        keeper.whenDone(leases.watch(lease.unit, () -> keeper.execute(() -> take(lease))), (holder, error) -> {
            if (lease.step != UnitLease.Step.WAITING || !lease.isCurrent()) {
                return;
            }
            if (error != null) {
                LOG.warn("could not watch the lease of {}: {}", lease.unit, error.toString());
                retry(lease);
                return;
            }
            lease.createUncertain = false;
            if (holder.isEmpty()) {
                take(lease);
            } else if (holder.get().ours()) {
                // Our own lease from an earlier round of this session: deleting it fires the watch.
                leases.delete(lease.unit, holder.get().czxid());
            } else if (!wanted.test(lease)) {
                // Another worker's, and the unit is no longer wanted here: nothing to wait for.
                lease.step = UnitLease.Step.NONE;
                outcome.notWanted().accept(lease);
            }
        });
    }

    private void retry(UnitLease lease) {
        lease.step = UnitLease.Step.NONE;
        // The timer only hands over: taking reads ZooKeeper, and the lease is the keeper's.
        keeper.executeAfter(() -> take(lease), retryAfter);
    }

}
