package dev.streamfleet.worker;

/**
 * A source that cannot go on, where retrying would not help: the broker refuses this worker's
 * credentials, the topic does not exist. The unit stops as FAILED with this message, keeps its
 * lease so that nobody reads past its position, and reports why.
 */
public final class SourceFailedException extends RuntimeException {

    public SourceFailedException(String message) {
        super(message);
    }
}
