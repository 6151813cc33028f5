package dev.streamfleet.worker;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What one fetch from a unit's source returned.
 *
 * @param records            the records, oldest first; empty when caught up or when the fetch failed
 * @param millisBehindLatest Kinesis: how far behind the tip the last record is, when known
 * @param offsetLag          Kafka: records that follow the last one, when known
 * @param endOfUnit          the shard was read to its end: no record will ever follow
 * @param retryAfter         the fetch failed (throttling, a server error): wait this long before the next
 */
public record Fetch(List<StreamRecord> records, OptionalLong millisBehindLatest, OptionalLong offsetLag,
                    boolean endOfUnit, Optional<Duration> retryAfter) {

    public Fetch {
        records = List.copyOf(records);
    }

    public static Fetch failed(Duration retryAfter) {
        return new Fetch(List.of(), OptionalLong.empty(), OptionalLong.empty(), false, Optional.of(retryAfter));
    }
}
