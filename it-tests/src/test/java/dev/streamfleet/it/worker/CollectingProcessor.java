package dev.streamfleet.it.worker;

import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.Checkpointer;
import dev.streamfleet.worker.RecordBatch;
import dev.streamfleet.worker.RecordProcessor;
import dev.streamfleet.worker.RecordProcessorFactory;
import dev.streamfleet.worker.StreamRecord;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Remembers every record every processor of a test saw, in the order each saw them. */
final class CollectingProcessor {

    /** One processed record. */
    record Seen(UnitId unit, Position position, String partitionKey, String data, WorkerId worker) {
    }

    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final List<StreamRecord> records = new CopyOnWriteArrayList<>();

    RecordProcessorFactory factory(WorkerId worker) {
        return unit -> new RecordProcessor() {
            @Override
            public void process(RecordBatch batch, Checkpointer checkpointer) {
                for (StreamRecord record : batch.records()) {
                    seen.add(new Seen(record.unit(), record.position(), record.partitionKey(),
                            new String(record.data(), StandardCharsets.UTF_8), worker));
                    records.add(record);
                }
            }
        };
    }

    List<Seen> seen() {
        return List.copyOf(seen);
    }

    /** The records themselves, as the processors got them. */
    List<StreamRecord> records() {
        return List.copyOf(records);
    }

    List<String> data() {
        return seen.stream().map(Seen::data).toList();
    }
}
