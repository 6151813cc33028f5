package dev.streamfleet.checkpoint;

/** The credentials in use may not perform an operation on the checkpoint table. */
public final class CheckpointAccessDeniedException extends CheckpointException {

    public CheckpointAccessDeniedException(String message, Throwable cause) {
        super(message, cause);
    }
}
