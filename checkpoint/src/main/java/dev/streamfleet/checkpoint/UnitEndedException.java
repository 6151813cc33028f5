package dev.streamfleet.checkpoint;

/** The unit is ENDED, which is terminal: its position can no longer change. */
public final class UnitEndedException extends CheckpointException {

    public UnitEndedException(String message) {
        super(message);
    }
}
