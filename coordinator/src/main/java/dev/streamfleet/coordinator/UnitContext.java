package dev.streamfleet.coordinator;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.UnitId;

import java.util.Objects;

/**
 * What a unit's reader gets when the coordinator starts it: the unit, the fencing epoch of its
 * lease, the claimed checkpoint row to resume from, the store to checkpoint to, and the way
 * to report back.
 *
 * @param unit    the unit
 * @param epoch   the epoch of this worker's lease; every checkpoint must carry it
 * @param worker  this worker
 * @param claimed the checkpoint row as the claim left it; its position is where reading resumes
 * @param store   the application's checkpoint store
 * @param events  where the reader reports shard end and lost ownership
 * @param validity whether the lease is certainly still this worker's right now
 */
public record UnitContext(UnitId unit, Epoch epoch, WorkerId worker, Checkpoint claimed, CheckpointStore store,
                          UnitEvents events, LeaseValidity validity) {

    public UnitContext {
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(epoch, "epoch");
        Objects.requireNonNull(worker, "worker");
        Objects.requireNonNull(claimed, "claimed");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(events, "events");
        Objects.requireNonNull(validity, "validity");
        if (claimed.isQuarantined()) {
            // Its position is empty: reading would restart the unit at its initial position.
            throw new IllegalArgumentException(unit + " cannot start from a quarantined row: " + claimed.quarantined().get());
        }
    }

    /** A context whose lease nothing can take away (a reader outside a fleet). */
    public UnitContext(UnitId unit, Epoch epoch, WorkerId worker, Checkpoint claimed, CheckpointStore store,
                       UnitEvents events) {
        this(unit, epoch, worker, claimed, store, events, LeaseValidity.ALWAYS);
    }
}
