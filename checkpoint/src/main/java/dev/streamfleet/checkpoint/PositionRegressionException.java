package dev.streamfleet.checkpoint;

/** A checkpoint would move a unit's position backwards; only an operator's reset may do that. */
public final class PositionRegressionException extends CheckpointException {

    public PositionRegressionException(String message) {
        super(message);
    }
}
