package dev.streamfleet.checkpoint;

/**
 * The unit's row was claimed under another fencing domain, that is another ZooKeeper history
 * (for example an ensemble rebuilt empty, whose zxids started again from zero). Epochs of two
 * histories do not compare, so the claim is refused until an operator adopts the stored
 * positions into the current domain.
 */
public final class ForeignFencingDomainException extends CheckpointException {

    public ForeignFencingDomainException(String message) {
        super(message);
    }
}
