package dev.streamfleet.worker.internal.kinesis;

import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.StreamRecord;

import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * Turns the Kinesis records of one shard into user records, whichever way they were read: each
 * KPL aggregate is split into its user records (the same sequence number, sub-sequences 0, 1, …),
 * and every user record at or before {@link #skipThrough} is dropped because it was delivered
 * before the current read began. A user record of an aggregate whose hash key lies outside the
 * shard's range is dropped and counted, as KCL does: the producer aggregated it for a shard that a
 * reshard has since divided, and the KPL, seeing it land on the wrong shard, puts it again to the
 * shard that owns it; this copy would be a duplicate. Owned by the shard's reader.
 */
final class ShardRecords {

    private final UnitId unit;
    private HashKeyRange range;
    private Position.Sequence skipThrough;
    private Position lastReturned;
    private long droppedOutsideRange;
    private final ArrayDeque<Record> pending = new ArrayDeque<>();

    ShardRecords(UnitId unit) {
        this.unit = unit;
    }

    /**
     * Records are taken only once the shard's range is known, so that every owner of the unit, on every
     * read, delivers the same user records (the finished records beyond a watermark are named by ordinal).
     */
    boolean knowsRange() {
        return range != null;
    }

    void range(HashKeyRange range) {
        this.range = range;
    }

    /** User records of aggregates dropped for lying outside the shard's range since the last call. */
    long takeDroppedOutsideRange() {
        long dropped = droppedOutsideRange;
        droppedOutsideRange = 0;
        return dropped;
    }

    /** Drops user records up to and including {@code position} from now on; null drops none. */
    void skipThrough(Position.Sequence position) {
        this.skipThrough = position;
    }

    /** The last user record handed out, if any: where a new read resumes. */
    Optional<Position> lastReturned() {
        return Optional.ofNullable(lastReturned);
    }

    /** Appends the user records of {@code records} that were not delivered yet to {@code out}. */
    void addAll(List<Record> records, List<StreamRecord> out) {
        offer(records);
        take(out, Integer.MAX_VALUE);
    }

    /** Keeps Kinesis records read, to be split into user records by {@link #take}, in order. */
    void offer(List<Record> records) {
        pending.addAll(records);
    }

    /** Whether records offered are not taken yet. */
    boolean hasPending() {
        return !pending.isEmpty();
    }

    /**
     * Appends user records of the records offered to {@code out}, one Kinesis record (a whole
     * aggregate) at a time, until {@code out} holds {@code atMost} or none is left. A read of 10 MB
     * of KPL aggregates of tiny records is millions of user records; taken in slices, only the
     * bytes read stay in memory, not a record object for each of them.
     */
    void take(List<StreamRecord> out, int atMost) {
        if (range == null) {
            throw new IllegalStateException(unit + ": records taken before the shard's hash-key range is known");
        }
        while (out.size() < atMost && !pending.isEmpty()) {
            add(pending.poll(), out);
        }
        if (!out.isEmpty()) {
            lastReturned = out.get(out.size() - 1).position();
            // Everything handed out is behind us: a record seen again (an overlapping read) is dropped.
            skipThrough = (Position.Sequence) lastReturned;
        }
    }

    private void add(Record record, List<StreamRecord> out) {
        BigInteger sequence = new BigInteger(record.sequenceNumber());
        Instant arrival = Optional.ofNullable(record.approximateArrivalTimestamp()).orElse(Instant.EPOCH);
        byte[] data = record.data().asByteArrayUnsafe();
        Optional<List<KplAggregation.UserRecord>> aggregated = KplAggregation.deaggregate(data);
        if (aggregated.isEmpty()) {
            add(out, new Position.Sequence(sequence, 0), record.partitionKey(), Optional.empty(), data, arrival);
            return;
        }
        List<KplAggregation.UserRecord> users = aggregated.get();
        // The user records of an aggregate share a few keys: each key's hash is taken once.
        Map<String, Boolean> inRange = new HashMap<>();
        for (int sub = 0; sub < users.size(); sub++) {
            KplAggregation.UserRecord user = users.get(sub);
            Position.Sequence position = new Position.Sequence(sequence, sub);
            String hashedBy = user.explicitHashKey().map(key -> "explicit:" + key).orElse("key:" + user.partitionKey());
            if (!inRange.computeIfAbsent(hashedBy, k -> range.contains(user.partitionKey(), user.explicitHashKey()))) {
                if (skipThrough == null || position.compareTo(skipThrough) > 0) {
                    droppedOutsideRange++;
                }
                continue;
            }
            add(out, position, user.partitionKey(), user.explicitHashKey(), user.data(), arrival);
        }
    }

    private void add(List<StreamRecord> out, Position.Sequence position, String key, Optional<String> explicitHashKey,
                     byte[] data, Instant arrival) {
        if (skipThrough != null && position.compareTo(skipThrough) <= 0) {
            return;
        }
        out.add(StreamRecord.kinesis(unit, position, key, explicitHashKey, data, arrival));
    }
}
