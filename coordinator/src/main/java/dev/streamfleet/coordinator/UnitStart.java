package dev.streamfleet.coordinator;

/**
 * Where a unit starts reading: the one place that decides it (docs/design.md §2a). The
 * configured initial position applies only to the units that existed when the application
 * first started reading; a unit created while it runs (a child shard of a parent it
 * read, a partition added to a topic) starts at its beginning, so that nothing written into it
 * before its first read is skipped.
 */
public enum UnitStart {

    /** The unit's checkpoint row says where: after the last processed record, or a starting point stored in it. */
    CHECKPOINT,
    /** The source's configured initial position: the unit existed when the application first started reading. */
    INITIAL_POSITION,
    /** The oldest retained record (TRIM_HORIZON, earliest): the unit appeared while the application ran. */
    BEGINNING;

    /** The rule: the unit's row, else its lineage or when it was first seen, else the initial position. */
    public static UnitStart of(StartFacts facts) {
        if (facts.hasRow()) {
            return CHECKPOINT;
        }
        if (facts.assignedBefore()) {
            return INITIAL_POSITION;
        }
        if (facts.parentRead() || facts.sourceReadBefore()) {
            return BEGINNING;
        }
        return INITIAL_POSITION;
    }

    /** Whether the leader must write the start into the unit's row before anyone may read the unit. */
    public boolean needsSeed() {
        return this == BEGINNING;
    }
}
