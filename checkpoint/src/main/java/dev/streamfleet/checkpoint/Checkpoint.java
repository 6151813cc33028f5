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
 * @param quarantined why this build does not trust the row (an attribute that does not parse, or a
 *                  newer row format), naming the attribute and its value; empty for a row it trusts.
 *                  A quarantined row says nothing else: its position, epoch, owner and finished set
 *                  are empty and its state ACTIVE, and no store ever returns it from a claim
 */
public record Checkpoint(UnitId unit, Optional<Position> position, Optional<Epoch> epoch, Optional<String> owner,
                         CheckpointState state, Instant updatedAt, FinishedBeyond finished,
                         Optional<String> quarantined) {

    public Checkpoint {
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(position, "position");
        Objects.requireNonNull(epoch, "epoch");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(updatedAt, "updatedAt");
        Objects.requireNonNull(finished, "finished");
        Objects.requireNonNull(quarantined, "quarantined");
        if (quarantined.isPresent() && (position.isPresent() || epoch.isPresent() || owner.isPresent()
                || state != CheckpointState.ACTIVE || !finished.isEmpty())) {
            throw new IllegalArgumentException("a quarantined row of " + unit + " carries nothing but its reason");
        }
    }

    /** A row this build trusts. */
    public Checkpoint(UnitId unit, Optional<Position> position, Optional<Epoch> epoch, Optional<String> owner,
                      CheckpointState state, Instant updatedAt, FinishedBeyond finished) {
        this(unit, position, epoch, owner, state, updatedAt, finished, Optional.empty());
    }

    /** A row this build does not trust, and why: nothing else of it is read. */
    public static Checkpoint quarantined(UnitId unit, Instant updatedAt, String reason) {
        return new Checkpoint(unit, Optional.empty(), Optional.empty(), Optional.empty(), CheckpointState.ACTIVE,
                updatedAt, FinishedBeyond.NONE, Optional.of(reason));
    }

    /** A row with nothing finished beyond its position. */
    public Checkpoint(UnitId unit, Optional<Position> position, Optional<Epoch> epoch, Optional<String> owner,
                      CheckpointState state, Instant updatedAt) {
        this(unit, position, epoch, owner, state, updatedAt, FinishedBeyond.NONE);
    }

    public boolean isEnded() {
        return state == CheckpointState.ENDED;
    }

    /** Whether this build does not trust the row; see {@link #quarantined()}. */
    public boolean isQuarantined() {
        return quarantined.isPresent();
    }
}
