package dev.streamfleet.worker;

import dev.streamfleet.core.PublicApi;
import dev.streamfleet.core.Position;

/**
 * Lets a processor record its progress now instead of at the next scheduled checkpoint.
 * Checkpoints are fenced: when the unit was claimed by another worker meanwhile, the call
 * throws {@link dev.streamfleet.checkpoint.OwnershipLostException} and the unit stops.
 */
@PublicApi
public interface Checkpointer {

    /** Records that everything handed to the processor so far is processed. */
    void checkpoint();

    /**
     * Records that the unit is processed up to {@code position}: the position of a record already
     * handed over, and not before the unit's last checkpoint.
     *
     * @throws IllegalArgumentException when {@code position} lies outside those bounds, naming both
     */
    void checkpoint(Position position);
}
