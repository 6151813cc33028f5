package dev.streamfleet.worker;

import dev.streamfleet.core.PublicApi;

/** What a record's {@link StreamRecord#arrivalTime()} is. */
@PublicApi
public enum TimestampType {
    /** Kafka: the time the producer set (CreateTime). */
    CREATE_TIME,
    /** Kafka: the time the broker appended the record (LogAppendTime). */
    LOG_APPEND_TIME,
    /** Kinesis: the approximate time the stream accepted the record. */
    ARRIVAL,
    /** Kafka: the record carries no timestamp. */
    NONE
}
