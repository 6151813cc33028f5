package dev.streamfleet.worker;

import dev.streamfleet.core.PublicApi;
import java.util.Objects;

/**
 * One header of a Kafka record, in the order the producer wrote them; a key may repeat.
 *
 * @param key   the header's name
 * @param value its bytes as produced (empty when the producer wrote none); the array belongs to the processor
 */
@PublicApi
public record RecordHeader(String key, byte[] value) {

    public RecordHeader {
        Objects.requireNonNull(key, "key");
        value = value == null ? new byte[0] : value;
    }
}
