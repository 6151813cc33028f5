package dev.streamfleet.coordinator;

import java.time.Duration;
import java.time.Instant;

/**
 * One published assignment, for the status page and for tests.
 *
 * @param generation the generation it published
 * @param at         when it was published
 * @param workers    live workers it assigned to
 * @param units      units it assigned
 * @param moved      units that changed owner
 * @param movedUnits up to the first 20 of them, for people to read
 * @param writes     znode writes in its transaction (assignment nodes plus the generation)
 * @param took       from the start of the rebalance to the committed transaction
 * @param settled    from the committed transaction until every moved unit was leased by its new owner;
 *                   empty while that has not happened (yet)
 * @param reason     why it happened ({@link RebalanceReason})
 */
public record RebalanceRecord(long generation, Instant at, int workers, int units, int moved,
                              java.util.List<dev.streamfleet.core.UnitId> movedUnits, int writes, Duration took,
                              java.util.Optional<Duration> settled, String reason) {

    public RebalanceRecord {
        movedUnits = java.util.List.copyOf(movedUnits);
        java.util.Objects.requireNonNull(reason, "reason");
    }

    /** This record, with the moves settled after {@code settled}. */
    public RebalanceRecord settledAfter(Duration settled) {
        return new RebalanceRecord(generation, at, workers, units, moved, movedUnits, writes, took,
                java.util.Optional.of(settled), reason);
    }
}
