package dev.streamfleet.coordinator;

import java.util.List;

/**
 * How the leader learns which units exist and how they descend from each other: Kinesis
 * shards with their parents, Kafka partitions. Called on the leader's rebalance thread; may
 * block on I/O for a bounded time.
 */
@FunctionalInterface
public interface UnitDiscovery {

    /** Every unit that exists now, including closed shards that may still hold records. */
    List<UnitSpec> discover();
}
