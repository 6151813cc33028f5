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
 * @param retryAfter         no records now (throttling, a server error, a subscription starting): wait this long
 * @param failure            why reading failed, when it did; a unit whose reads keep failing is reported stalled
 * @param droppedOutsideRange Kinesis: user records of KPL aggregates dropped because their hash keys lie outside
 *                           the shard's range (they belong to another shard after a reshard)
 * @param notRetained        why this read skipped records: the position it resumed from is no longer retained by
 *                           the stream (a Kinesis retention trim, a Kafka log start moved by retention or
 *                           DeleteRecords), so it went on at the oldest record retained; empty when it skipped none.
 *                           The unit reports it (ERROR and {@code streamfleet_worker_retention_skips}): a skip is
 *                           never silent
 */
public record Fetch(List<StreamRecord> records, OptionalLong millisBehindLatest, OptionalLong offsetLag,
                    boolean endOfUnit, Optional<Duration> retryAfter, Optional<String> failure, long droppedOutsideRange,
                    Optional<String> notRetained) {

    public Fetch {
        records = List.copyOf(records);
    }

    public Fetch(List<StreamRecord> records, OptionalLong millisBehindLatest, OptionalLong offsetLag, boolean endOfUnit,
                 Optional<Duration> retryAfter, Optional<String> failure, long droppedOutsideRange) {
        this(records, millisBehindLatest, offsetLag, endOfUnit, retryAfter, failure, droppedOutsideRange, Optional.empty());
    }

    public Fetch(List<StreamRecord> records, OptionalLong millisBehindLatest, OptionalLong offsetLag, boolean endOfUnit,
                 Optional<Duration> retryAfter, Optional<String> failure) {
        this(records, millisBehindLatest, offsetLag, endOfUnit, retryAfter, failure, 0);
    }

    public Fetch(List<StreamRecord> records, OptionalLong millisBehindLatest, OptionalLong offsetLag, boolean endOfUnit,
                 Optional<Duration> retryAfter) {
        this(records, millisBehindLatest, offsetLag, endOfUnit, retryAfter, Optional.empty());
    }

    /** Nothing to hand out yet, and no failure (an iterator to renew, a consumer still being created): ask again later. */
    public static Fetch failed(Duration retryAfter) {
        return new Fetch(List.of(), OptionalLong.empty(), OptionalLong.empty(), false, Optional.of(retryAfter));
    }

    /** Reading failed for {@code reason}; the source tries again after {@code retryAfter}. */
    public static Fetch failed(Duration retryAfter, String reason) {
        return new Fetch(List.of(), OptionalLong.empty(), OptionalLong.empty(), false, Optional.of(retryAfter),
                Optional.of(reason));
    }
}
