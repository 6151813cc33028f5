package dev.streamfleet.worker;

import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.time.Instant;
import java.util.Objects;

/**
 * One record as a processor sees it.
 *
 * @param unit         the shard or partition it came from
 * @param position     the position to checkpoint once this record is processed: its Kinesis
 *                     sequence number (and sub-sequence inside an aggregate), or the Kafka offset after it
 * @param partitionKey the Kinesis partition key or the Kafka record key (empty when absent)
 * @param data         the payload; the array belongs to the processor
 * @param arrivalTime  when the stream accepted the record
 */
public record StreamRecord(UnitId unit, Position position, String partitionKey, byte[] data, Instant arrivalTime) {

    public StreamRecord {
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(position, "position");
        Objects.requireNonNull(partitionKey, "partitionKey");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(arrivalTime, "arrivalTime");
    }
}
