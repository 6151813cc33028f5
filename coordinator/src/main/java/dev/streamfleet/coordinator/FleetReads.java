package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.util.Map;

/**
 * What the leader's periodic check reads about the fleet, each only when asked: the check stops
 * at the first change it finds, and reads nothing after it.
 *
 * @param <E> what a read may fail with (a ZooKeeper error; a simulated fleet's own); the check
 *            passes it on unchanged
 */
public interface FleetReads<E extends Exception> extends EndedRows {

    /** Every unit discovery knows now, by id. */
    Map<UnitId, UnitSpec> units() throws E;

    /** The assignment nodes as they are now. */
    AssignmentNodes assignments() throws E;

    /**
     * The loads workers published now: the current owner's figure for each unit, or, for a unit
     * whose owner has not published one, another worker's.
     *
     * @param owners each unit's worker, as {@link #assignments()} named it
     */
    Map<UnitId, Double> loads(Map<UnitId, WorkerId> owners) throws E;
}
