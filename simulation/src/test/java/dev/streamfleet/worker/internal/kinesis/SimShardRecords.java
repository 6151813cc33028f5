package dev.streamfleet.worker.internal.kinesis;

import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.StreamRecord;

import java.util.List;
import java.util.Optional;

import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * Opens production's package-private {@link ShardRecords} to the fleet simulation, so that its
 * simulated Kinesis reader de-aggregates, skips through a resumed position, checks the first record
 * of a read for retention and filters by hash-key range exactly as {@code KinesisShardSource} does.
 * Forwards only; every decision stays in {@link ShardRecords}.
 */
public final class SimShardRecords {

    private final ShardRecords records;

    /** The shard's records, read knowing its hash-key range (the simulation always knows it). */
    public SimShardRecords(UnitId unit, HashKeyRange range) {
        this.records = new ShardRecords(unit);
        this.records.range(range);
    }

    public void skipThrough(Position.Sequence position) {
        records.skipThrough(position);
    }

    public void offer(List<Record> read) {
        records.offer(read);
    }

    public boolean hasPending() {
        return records.hasPending();
    }

    public void take(List<StreamRecord> out, int atMost) {
        records.take(out, atMost);
    }

    public long takeDroppedOutsideRange() {
        return records.takeDroppedOutsideRange();
    }

    public Optional<String> takeNotRetained() {
        return records.takeNotRetained();
    }

    public Optional<Position> lastReturned() {
        return records.lastReturned();
    }
}
