package dev.streamfleet.worker;

import dev.streamfleet.core.PublicApi;
import java.util.Locale;

/** Which records of a unit must be processed in stream order, never concurrently (processing.ordering). */
@PublicApi
public enum Ordering {
    /** Records with the same partition key (Kafka: record key); records without a key are ordered among themselves. */
    KEY,
    /** All records of the unit: one batch at a time, as at parallelism 1. */
    UNIT,
    /** None: any record may be processed beside any other. */
    NONE;

    /**
     * Reads a configuration value.
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static Ordering parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + value + "' is not an ordering; use key, unit or none");
        }
    }

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
