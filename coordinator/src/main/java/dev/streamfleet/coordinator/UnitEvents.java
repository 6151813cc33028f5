package dev.streamfleet.coordinator;

/**
 * How a unit's reader tells the coordinator what happened. May be called from any thread;
 * the coordinator handles the call on its own thread.
 */
public interface UnitEvents {

    /** The shard was read to its end and marked ENDED in the checkpoint store; the reader has stopped. */
    void ended();

    /** A checkpoint write was fenced (another owner claimed the unit); the reader has stopped without writing. */
    void lost(String reason);

    /** The processor failed through every retry; the reader has stopped, with nothing skipped. */
    void failed(String reason);
}
