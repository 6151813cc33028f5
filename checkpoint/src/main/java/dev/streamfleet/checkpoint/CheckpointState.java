package dev.streamfleet.checkpoint;

/** Whether a unit is still being read. */
public enum CheckpointState {
    /** The unit has records to read (or may get more). */
    ACTIVE,
    /** A Kinesis shard was read to its end; terminal, so its children may start. */
    ENDED
}
