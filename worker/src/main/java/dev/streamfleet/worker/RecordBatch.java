package dev.streamfleet.worker;

import dev.streamfleet.core.PublicApi;
import dev.streamfleet.core.UnitId;

import java.util.List;
import java.util.OptionalLong;

/**
 * Records of one unit handed to a processor together, in order.
 *
 * @param unit               the shard or partition
 * @param records            the records, oldest first; never empty
 * @param millisBehindLatest how far this batch is behind the tip of a Kinesis shard, when known
 * @param offsetLag          how many records of a Kafka partition follow this batch, when known
 */
@PublicApi
public record RecordBatch(UnitId unit, List<StreamRecord> records, OptionalLong millisBehindLatest, OptionalLong offsetLag) {

    public RecordBatch {
        records = List.copyOf(records);
        if (records.isEmpty()) {
            throw new IllegalArgumentException("a batch holds at least one record");
        }
    }

    /** The last record, whose position a checkpoint after this batch records. */
    public StreamRecord last() {
        return records.get(records.size() - 1);
    }
}
