package dev.streamfleet.checkpoint;

import dev.streamfleet.core.PublicApi;

/**
 * The caller no longer owns the unit: another claim with a newer epoch happened, or the caller
 * never claimed it. The caller must stop the unit at once, without retrying and without
 * another checkpoint, and close its processor as LOST.
 */
@PublicApi
public final class OwnershipLostException extends CheckpointException {

    public OwnershipLostException(String message) {
        super(message);
    }
}
