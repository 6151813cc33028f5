package dev.streamfleet.worker;

/** What a record's {@link StreamRecord#arrivalTime()} is. */
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
