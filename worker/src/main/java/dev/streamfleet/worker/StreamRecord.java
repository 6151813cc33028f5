package dev.streamfleet.worker;

import dev.streamfleet.core.PublicApi;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One record as a processor sees it.
 *
 * @param unit          the shard or partition it came from
 * @param position      the position to checkpoint once this record is processed: its Kinesis
 *                      sequence number (and sub-sequence inside an aggregate), or the Kafka offset after it
 * @param partitionKey  the Kinesis partition key, or the Kafka record key as text: its UTF-8 decoding when the
 *                      bytes decode cleanly, else {@code base64:} and their Base64 (so distinct keys stay distinct);
 *                      empty when absent
 * @param data          the payload; the array belongs to the processor
 * @param arrivalTime   the record's time, as {@code timestampType} says
 * @param key           the key's bytes as produced (Kinesis: the partition key's UTF-8 bytes); empty when absent
 * @param headers       Kafka: the record's headers in order; Kinesis: none
 * @param timestampType what {@code arrivalTime} is
 * @param explicitHashKey Kinesis: the explicit hash key a KPL producer gave the user record, when it gave one
 *                        (the Kinesis API does not return one for records that are not aggregated); Kafka: empty
 */
@PublicApi
public record StreamRecord(UnitId unit, Position position, String partitionKey, byte[] data, Instant arrivalTime,
                           byte[] key, List<RecordHeader> headers, TimestampType timestampType,
                           Optional<String> explicitHashKey) {

    public StreamRecord {
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(position, "position");
        Objects.requireNonNull(partitionKey, "partitionKey");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(arrivalTime, "arrivalTime");
        Objects.requireNonNull(key, "key");
        headers = List.copyOf(headers);
        Objects.requireNonNull(timestampType, "timestampType");
        Objects.requireNonNull(explicitHashKey, "explicitHashKey");
    }

    /** Without an explicit hash key: a Kafka record. */
    public StreamRecord(UnitId unit, Position position, String partitionKey, byte[] data, Instant arrivalTime,
                        byte[] key, List<RecordHeader> headers, TimestampType timestampType) {
        this(unit, position, partitionKey, data, arrivalTime, key, headers, timestampType, Optional.empty());
    }

    /** A Kinesis user record: the key is the partition key's bytes, no headers, the time is its arrival. */
    public static StreamRecord kinesis(UnitId unit, Position position, String partitionKey,
                                       Optional<String> explicitHashKey, byte[] data, Instant arrivalTime) {
        return new StreamRecord(unit, position, partitionKey, data, arrivalTime,
                partitionKey.getBytes(StandardCharsets.UTF_8), List.of(), TimestampType.ARRIVAL, explicitHashKey);
    }

    /** A Kinesis record: the key is the partition key's bytes, no headers, the time is its arrival. */
    public StreamRecord(UnitId unit, Position position, String partitionKey, byte[] data, Instant arrivalTime) {
        this(unit, position, partitionKey, data, arrivalTime, partitionKey.getBytes(StandardCharsets.UTF_8), List.of(),
                TimestampType.ARRIVAL, Optional.empty());
    }

    /** The text a key is shown and ordered by: its UTF-8 decoding when clean, else {@code base64:<Base64>}. */
    public static String keyText(byte[] key) {
        return utf8(key).orElseGet(() -> "base64:" + Base64.getEncoder().encodeToString(key));
    }

    /** The bytes as text when they are valid UTF-8; empty when any byte sequence is not. */
    public static Optional<String> utf8(byte[] bytes) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }
}
