package dev.streamfleet.worker;

import dev.streamfleet.core.PositionCodec;

import java.util.Base64;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A record the processor failed on through every attempt, on its way to the dead-letter
 * destination.
 *
 * @param record   the record, as the processor was given it
 * @param attempts how often the processor was offered it
 * @param error    the last failure, as {@code Throwable.toString()} gives it
 */
public record FailedRecord(StreamRecord record, int attempts, String error) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The dead letter as written: one JSON object with the unit, the record's position, partition
     * key and arrival time, the attempts, the error, and the data in base64.
     */
    public byte[] toJson() {
        ObjectNode letter = JSON.createObjectNode()
                .put("unit", record.unit().toString())
                .put("position", PositionCodec.encode(record.position()))
                .put("partitionKey", record.partitionKey())
                .put("arrivalTime", record.arrivalTime().toString())
                .put("attempts", attempts)
                .put("error", error)
                .put("data", Base64.getEncoder().encodeToString(record.data()));
        try {
            return JSON.writeValueAsBytes(letter);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write a dead letter: " + e.getMessage(), e);
        }
    }
}
