package dev.streamfleet.checkpoint;

/** The store could not be reached, or kept failing, through every retry. Nothing was written. */
public final class CheckpointStoreUnavailableException extends CheckpointException {

    public CheckpointStoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
