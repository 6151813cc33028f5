package dev.streamfleet.worker.internal.kinesis;

import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.StreamRecord;

import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
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
    /** Where the current read started, until its first record shows whether that record is still there. */
    private Position.Sequence resumedAt;
    private String notRetained;
    private Position lastReturned;
    private long droppedOutsideRange;
    private final ArrayDeque<Record> pending = new ArrayDeque<>();
    /** The aggregate a slice ended inside, if one did: the rest of its user records come first. */
    private Taking taking;

    /**
     * An aggregate being split into user records: its sequence number and arrival, its user records
     * not taken yet and the sub-sequence of the next, and which of its keys hash into the shard's
     * range (its user records share a few keys: each key's hash is taken once).
     */
    private static final class Taking {
        final BigInteger sequence;
        final Instant arrival;
        final Iterator<KplAggregation.UserRecord> users;
        final Map<String, Boolean> inRange = new HashMap<>();
        long next;

        Taking(BigInteger sequence, Instant arrival, Iterator<KplAggregation.UserRecord> users) {
            this.sequence = sequence;
            this.arrival = arrival;
            this.users = users;
        }
    }

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

    /**
     * A read starts at {@code position} (AT_SEQUENCE_NUMBER): drops user records up to and including
     * it from now on; null drops none. The read's first record must be that record itself: Kinesis
     * answers a position it no longer retains with its oldest record, silently, so a later first
     * record means the records in between were trimmed (see {@link #takeNotRetained}).
     */
    void skipThrough(Position.Sequence position) {
        this.skipThrough = position;
        this.resumedAt = position;
    }

    /** Why the read skipped records, once, if its first record was not the one it started at. */
    Optional<String> takeNotRetained() {
        Optional<String> why = Optional.ofNullable(notRetained);
        notRetained = null;
        return why;
    }

    /** The last user record handed out, if any: where a new read resumes. */
    Optional<Position> lastReturned() {
        return Optional.ofNullable(lastReturned);
    }

    /** Keeps Kinesis records read, to be split into user records by {@link #take}, in order. */
    void offer(List<Record> records) {
        if (resumedAt != null && !records.isEmpty()) {
            BigInteger first = new BigInteger(records.get(0).sequenceNumber());
            if (first.compareTo(resumedAt.sequenceNumber()) > 0) {
                notRetained = "the record at sequence number " + resumedAt.sequenceNumber() + " that the read resumed"
                        + " from is no longer in the shard (the stream's retention trimmed it): records after it and"
                        + " before " + first + " may be gone unread; reading goes on at " + first;
            }
            resumedAt = null;
        }
        pending.addAll(records);
    }

    /** Whether records offered are not taken yet, whole or in part. */
    boolean hasPending() {
        return taking != null || !pending.isEmpty();
    }

    /**
     * Appends user records of the records offered to {@code out} until {@code out} holds
     * {@code atMost} or none is left; a slice may end inside an aggregate, and the next goes on
     * from there. A read of 10 MB of KPL aggregates of tiny records is millions of user records,
     * and one 1 MB aggregate some 150,000: taken in slices, only the bytes read stay in memory,
     * not a record object for each of them.
     */
    void take(List<StreamRecord> out, int atMost) {
        if (range == null) {
            throw new IllegalStateException(unit + ": records taken before the shard's hash-key range is known");
        }
        while (out.size() < atMost) {
            if (taking != null && taking.users.hasNext()) {
                add(taking, out);
                continue;
            }
            taking = null;
            Record record = pending.poll();
            if (record == null) {
                break;
            }
            start(record, out);
        }
        if (taking != null && !taking.users.hasNext()) {
            taking = null;
        }
        if (!out.isEmpty()) {
            lastReturned = out.get(out.size() - 1).position();
            // Everything handed out is behind us: a record seen again (an overlapping read) is dropped.
            skipThrough = (Position.Sequence) lastReturned;
        }
    }

    /** A Kinesis record: an ordinary one is added whole, an aggregate becomes the one being taken. */
    private void start(Record record, List<StreamRecord> out) {
        BigInteger sequence = new BigInteger(record.sequenceNumber());
        Instant arrival = Optional.ofNullable(record.approximateArrivalTimestamp()).orElse(Instant.EPOCH);
        byte[] data = record.data().asByteArrayUnsafe();
        Optional<Iterator<KplAggregation.UserRecord>> aggregated = KplAggregation.userRecords(data);
        if (aggregated.isEmpty()) {
            add(out, new Position.Sequence(sequence, 0), record.partitionKey(), Optional.empty(), data, arrival);
            return;
        }
        taking = new Taking(sequence, arrival, aggregated.get());
    }

    /** The next user record of the aggregate being taken, unless it lies outside the shard's range. */
    private void add(Taking aggregate, List<StreamRecord> out) {
        KplAggregation.UserRecord user = aggregate.users.next();
        Position.Sequence position = new Position.Sequence(aggregate.sequence, aggregate.next++);
        String hashedBy = user.explicitHashKey().map(key -> "explicit:" + key).orElse("key:" + user.partitionKey());
        if (!aggregate.inRange.computeIfAbsent(hashedBy, k -> range.contains(user.partitionKey(), user.explicitHashKey()))) {
            if (skipThrough == null || position.compareTo(skipThrough) > 0) {
                droppedOutsideRange++;
            }
            return;
        }
        add(out, position, user.partitionKey(), user.explicitHashKey(), user.data(), aggregate.arrival);
    }

    private void add(List<StreamRecord> out, Position.Sequence position, String key, Optional<String> explicitHashKey,
                     byte[] data, Instant arrival) {
        if (skipThrough != null && position.compareTo(skipThrough) <= 0) {
            return;
        }
        out.add(StreamRecord.kinesis(unit, position, key, explicitHashKey, data, arrival));
    }
}
