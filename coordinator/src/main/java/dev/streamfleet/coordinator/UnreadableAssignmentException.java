package dev.streamfleet.coordinator;

/**
 * This worker's assignment node exists but cannot be read: written by another version, a tool or
 * an operator (no generation, units of another type). It is never taken as "no units": the
 * {@link LeaseKeeper} keeps the units it holds and reads the node again when it next changes.
 */
public final class UnreadableAssignmentException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** @param message the node and the value found */
    public UnreadableAssignmentException(String message) {
        super(message);
    }
}
