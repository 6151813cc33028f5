package dev.streamfleet.checkpoint;

import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What the store knows of one unit.
 *
 * @param unit      the unit
 * @param position  the last processed record, or a starting point set by a reset; empty until the first checkpoint
 * @param epoch     the epoch of the last claim; empty while nobody has claimed the unit
 * @param owner     the worker that made the last claim; empty while nobody has claimed the unit
 * @param state     ACTIVE, or ENDED once a shard was read to its end
 * @param updatedAt when the row was last written
 * @param finished  the records finished beyond {@code position}, when records are processed out of
 *                  order; {@link FinishedBeyond#NONE} otherwise
 */
public record Checkpoint(UnitId unit, Optional<Position> position, Optional<Epoch> epoch, Optional<String> owner,
                         CheckpointState state, Instant updatedAt, FinishedBeyond finished) {

    public Checkpoint {
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(position, "position");
        Objects.requireNonNull(epoch, "epoch");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(updatedAt, "updatedAt");
        Objects.requireNonNull(finished, "finished");
    }

    /** A row with nothing finished beyond its position. */
    public Checkpoint(UnitId unit, Optional<Position> position, Optional<Epoch> epoch, Optional<String> owner,
                      CheckpointState state, Instant updatedAt) {
        this(unit, position, epoch, owner, state, updatedAt, FinishedBeyond.NONE);
    }

    public boolean isEnded() {
        return state == CheckpointState.ENDED;
    }
}
