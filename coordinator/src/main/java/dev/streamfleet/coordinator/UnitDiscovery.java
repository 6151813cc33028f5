package dev.streamfleet.coordinator;

import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.util.List;
import java.util.Optional;

/**
 * How the leader learns which units exist and how they descend from each other: Kinesis
 * shards with their parents, Kafka partitions. Called on the leader's rebalance thread; may
 * block on I/O for a bounded time.
 */
@FunctionalInterface
public interface UnitDiscovery {

    /** Every unit that exists now, including closed shards that may still hold records. */
    List<UnitSpec> discover();

    /**
     * Where a unit of the application's first start begins, resolved once so that every later
     * owner starts at the same point: the configured initial position when it moves with time
     * (LATEST) turned into one that does not; a source may also return a start that needs no
     * resolving, to have it stored in the unit's row. Empty when nothing is to be stored. Called
     * on the leader's rebalance thread, only for units seen at their source's first start; may
     * block on I/O for a bounded time.
     *
     * @throws CoordinatorException when the source cannot answer now; the unit is then not assigned yet
     */
    default Optional<Position> firstStart(UnitId unit) {
        return Optional.empty();
    }
}
