package dev.streamfleet.core;

import java.util.Locale;

/** Where a unit's records come from. */
@PublicApi
public enum SourceKind {
    /** A Kinesis stream; its units are shards and its positions sequence numbers. */
    KINESIS,
    /** A Kafka topic; its units are partitions and its positions offsets. */
    KAFKA;

    /** The lower-case form used in unit ids: {@code kinesis} or {@code kafka}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code kinesis} or {@code kafka}. */
    public static SourceKind fromId(String id) {
        for (SourceKind kind : values()) {
            if (kind.id().equals(id)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown source kind '" + id + "' (expected kinesis or kafka)");
    }
}
