package dev.streamfleet.checkpoint;

/** A checkpoint store operation failed; the message is one line that names the problem. */
public class CheckpointException extends RuntimeException {

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
