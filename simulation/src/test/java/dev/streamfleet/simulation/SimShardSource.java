package dev.streamfleet.simulation;

import dev.streamfleet.core.Position;
import dev.streamfleet.worker.Fetch;
import dev.streamfleet.worker.RecordSource;
import dev.streamfleet.worker.StreamRecord;
import dev.streamfleet.worker.internal.kinesis.SimShardRecords;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * A shard's reader, driven as production's {@code KinesisShardSource} drives it: the Kinesis records a
 * GetRecords call returns go through production's {@code ShardRecords} (through {@link SimShardRecords}),
 * which de-aggregates KPL aggregates, skips through the position a read starts at (inside an
 * aggregate too), tells from the first record whether retention trimmed the one resumed at, and
 * drops the user records outside the shard's range. The iterator is an index into the shard's
 * Kinesis records; one that lags into trimmed records has expired, and a new one starts at the last
 * user record handed out, as production's does. Checks that the records dropped for their range
 * are exactly those the stream holds outside it, and that every record handed out is one it holds.
 */
final class SimShardSource implements RecordSource {

    private final SimStreams streams;
    private final SimLoop loop;
    private final SimStreams.Log log;
    private final Optional<Position> resumeAfter;
    private final SimShardRecords records;
    /** The next Kinesis record a GetRecords call returns; -1 without an iterator (production's null). */
    private int iterator = -1;
    /** The shard is closed and its last record was read: the unit ends once nothing is pending. */
    private boolean shardEnd;
    /**
     * Whether the read is at a record position: it resumed from one or returned a record. Until then
     * production resolves TRIM_HORIZON, LATEST or a timestamp when it first reads, at the records retained then.
     */
    private boolean positioned;
    /** User records outside the range up to this position are accounted for in this read (null: none yet). */
    private Position.Sequence accounted;
    /** The Kinesis records offered since the iterator that may still hold unaccounted ones: from, to exclusive. */
    private int scanFrom;
    private int offeredTo;

    SimShardSource(SimStreams streams, SimLoop loop, SimStreams.Log log, Optional<Position> resumeAfter) {
        this.streams = streams;
        this.loop = loop;
        this.log = log;
        this.resumeAfter = resumeAfter;
        this.records = new SimShardRecords(log.unit, log.range());
        this.positioned = resumeAfter.filter(Position::isRecordPosition).isPresent();
        newIterator();
        if (log.firstOpenIndex < 0) {
            log.firstOpenIndex = resumeAfter.filter(p -> p instanceof Position.Sequence)
                    .map(p -> Math.max(log.indexOf(p) + 1, log.trimmedTo))
                    .orElse(iterator < log.puts.size() ? log.puts.get(iterator).first() : log.records.size());
            streams.onFirstOpen.accept(log);
        }
    }

    /** As production's: from the last user record handed out, else where the claim says; AT_SEQUENCE_NUMBER skips through it. */
    private void newIterator() {
        Position from = records.lastReturned().or(() -> resumeAfter).orElse(Position.LATEST);
        records.skipThrough(null);
        accounted = null;
        if (from instanceof Position.Sequence sequence) {
            int index = log.indexOf(sequence);
            // AT_SEQUENCE_NUMBER of a trimmed record: Kinesis answers with its oldest record, silently.
            iterator = Math.max(log.records.get(index).put(), log.trimmedPuts);
            records.skipThrough(sequence);
            accounted = sequence;
            if (log.insideAggregate(index)) {
                streams.resumesInsideAggregates++;
                loop.trace.add(loop.now(), "streams", log.unit + ": a read starts inside the aggregate of #" + index
                        + " at " + sequence);
            }
        } else if (from instanceof Position.AtTimestamp at) {
            int i = log.trimmedPuts;
            while (i < log.puts.size() && log.puts.get(i).record().approximateArrivalTimestamp().isBefore(at.timestamp())) {
                i++;
            }
            iterator = i;
        } else if (from instanceof Position.Latest) {
            iterator = log.puts.size();
        } else {
            iterator = log.trimmedPuts;
        }
        scanFrom = iterator;
        offeredTo = iterator;
    }

    @Override
    public Fetch fetch() {
        if (records.hasPending()) {
            return slice();
        }
        if (loop.random.nextDouble() < streams.failingReads) {
            return Fetch.failed(Duration.ofMillis(200), "simulated read failure");
        }
        if (iterator < 0) {
            newIterator();
        }
        if (iterator < log.trimmedPuts && !positioned) {
            streams.skipsUnpositioned++;
            loop.trace.add(loop.now(), "streams", log.unit + ": a read not yet positioned goes on at #" + log.trimmedTo
                    + ", as TRIM_HORIZON or a timestamp resolves when first read (not reported)");
            iterator = log.trimmedPuts;
            scanFrom = iterator;
            offeredTo = iterator;
        } else if (iterator < log.trimmedPuts) {
            // The reader lags by the retention period: its iterator expired (5 minutes), and production
            // (ExpiredIteratorException) asks for a new one. (A live iterator inside trimmed records is not
            // modelled: see docs/testing.md.)
            loop.trace.add(loop.now(), "streams", log.unit + ": the iterator expired inside trimmed records");
            iterator = -1;
            return Fetch.failed(Duration.ZERO);
        }
        int until = Math.min(log.puts.size(), iterator + SimStreams.BATCH);
        List<Record> read = new ArrayList<>(until - iterator);
        for (int i = iterator; i < until; i++) {
            read.add(log.puts.get(i).record());
        }
        records.offer(read);
        iterator = until;
        offeredTo = until;
        shardEnd = log.closed && until == log.puts.size();
        return slice();
    }

    /** At most a batch of user records of what was read, as production's slices; the shard ends with the last of them. */
    private Fetch slice() {
        List<StreamRecord> batch = new ArrayList<>();
        records.take(batch, SimStreams.BATCH);
        long dropped = records.takeDroppedOutsideRange();
        checkHandedOut(batch);
        checkDropped(batch, dropped);
        streams.droppedOutsideRange += dropped;
        positioned |= !batch.isEmpty();
        boolean end = shardEnd && !records.hasPending();
        Optional<String> skipped = records.takeNotRetained();
        if (skipped.isPresent()) {
            streams.skipsReported++;
            loop.trace.add(loop.now(), "streams", log.unit + ": a read skipped to the oldest record retained, #"
                    + log.trimmedTo + ", reported to the unit: " + skipped.get());
        }
        int next = batch.isEmpty() ? (iterator >= 0 && iterator < log.puts.size() ? log.puts.get(iterator).first()
                : log.records.size()) : log.indexOf(batch.get(batch.size() - 1).position()) + 1;
        return new Fetch(batch, OptionalLong.empty(), OptionalLong.of(log.records.size() - next), end, Optional.empty(),
                Optional.empty(), dropped, skipped);
    }

    /** Every user record handed out is one the shard holds in its range. */
    private void checkHandedOut(List<StreamRecord> batch) {
        for (StreamRecord record : batch) {
            String held;
            try {
                SimStreams.Rec rec = log.records.get(log.indexOf(record.position()));
                held = rec.key() + "#" + rec.keySeq();
            } catch (IllegalStateException e) {
                held = null;
            }
            String data = new String(record.data(), java.nio.charset.StandardCharsets.UTF_8);
            if (!data.equals(held) || !data.startsWith(record.partitionKey() + "#")) {
                streams.violation.accept(log.unit + ": the reader handed out the user record " + data + " at "
                        + record.position() + ", which the shard does not hold in its range");
            }
        }
    }

    /**
     * Production drops, and counts once per read, exactly the user records outside the shard's range
     * that lie beyond where the read started and up to where this slice stopped.
     */
    private void checkDropped(List<StreamRecord> batch, long dropped) {
        if (offeredTo == scanFrom) {
            if (dropped != 0) {
                streams.violation.accept(log.unit + ": the reader dropped " + dropped + " user records outside the shard's"
                        + " range, but it has read none since " + accounted);
            }
            return;
        }
        Position.Sequence upTo;
        int scanTo;
        if (records.hasPending()) {
            upTo = (Position.Sequence) batch.get(batch.size() - 1).position();
            scanTo = log.records.get(log.indexOf(upTo)).put();
        } else {
            SimStreams.Put last = log.puts.get(offeredTo - 1);
            upTo = new Position.Sequence(new java.math.BigInteger(last.record().sequenceNumber()), last.users() - 1);
            scanTo = offeredTo;
        }
        long expected = 0;
        for (int put = scanFrom; put < Math.min(offeredTo, scanTo + 1); put++) {
            for (SimStreams.Outside outside : log.puts.get(put).outside()) {
                if ((accounted == null || outside.position().compareTo(accounted) > 0)
                        && outside.position().compareTo(upTo) <= 0) {
                    expected++;
                }
            }
        }
        if (expected != dropped) {
            streams.violation.accept(log.unit + ": the reader dropped " + dropped + " user records outside the shard's"
                    + " range up to " + upTo + ", but the shard holds " + expected + " there");
        }
        accounted = upTo;
        scanFrom = scanTo;
    }

    @Override
    public Duration nextDelay(Fetch last) {
        if (records.hasPending()) {
            return Duration.ZERO;
        }
        return last.records().isEmpty() ? Duration.ofSeconds(1) : Duration.ofMillis(10);
    }

    @Override
    public void close() {
        iterator = -1;
    }
}
