package dev.streamfleet.checkpoint.internal.dynamodb;

import dev.streamfleet.core.UnitId;

/**
 * The layout of the checkpoint table.
 *
 * <p>One item per unit, keyed by {@code <application>/<unit>}: every unit is its own partition
 * key, so a large application spreads its writes instead of heating one key. Listing an
 * application uses the global secondary index {@value #BY_APPLICATION}, whose partition key
 * spreads each application over {@value #BUCKETS} buckets for the same reason.
 */
final class CheckpointTableSchema {

    static final String PK = "pk";
    static final String APPLICATION = "app";
    static final String UNIT = "unit";
    static final String BUCKET = "bucket";
    static final String POSITION = "pos";
    /** Fixed-width, order-preserving form of a record position; absent for starting points. */
    static final String POSITION_KEY = "posKey";
    /** The records finished beyond the position ({@code FinishedBeyond}'s stored form); absent when none. */
    static final String FINISHED = "finished";
    static final String EPOCH = "epoch";
    static final String DOMAIN = "domain";
    static final String OWNER = "owner";
    static final String STATE = "state";
    static final String UPDATED_AT = "updatedAt";
    /**
     * The row's format: a number that every write sets to {@link #ROW_FORMAT}. A row without it was
     * written before rows carried one and reads as format 1.
     */
    static final String FORMAT = "format";
    /**
     * The row format this build reads and writes. Raise it when an attribute changes its meaning in
     * a way an older build must not overwrite: older builds then leave such rows alone and report
     * them (docs/design.md §"What is trusted").
     */
    static final int ROW_FORMAT = 1;

    static final String BY_APPLICATION = "by-application";
    /** Changing this loses sight of existing rows in {@code list}; it is part of the table format. */
    static final int BUCKETS = 16;

    private CheckpointTableSchema() {
    }

    static String key(String application, UnitId unit) {
        return application + "/" + unit;
    }

    static String bucket(String application, UnitId unit) {
        return bucket(application, Math.floorMod(unit.toString().hashCode(), BUCKETS));
    }

    static String bucket(String application, int index) {
        return application + "#" + (index < 10 ? "0" : "") + index;
    }
}
