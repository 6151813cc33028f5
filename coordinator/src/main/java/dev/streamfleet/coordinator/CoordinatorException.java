package dev.streamfleet.coordinator;

/** The coordinator could not do its work (for example ZooKeeper is unreachable); the message is one line. */
public final class CoordinatorException extends RuntimeException {

    public CoordinatorException(String message) {
        super(message);
    }

    public CoordinatorException(String message, Throwable cause) {
        super(message, cause);
    }
}
