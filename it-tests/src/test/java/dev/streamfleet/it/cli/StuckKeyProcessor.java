package dev.streamfleet.it.cli;

import dev.streamfleet.worker.Checkpointer;
import dev.streamfleet.worker.ConcurrentRecordProcessor;
import dev.streamfleet.worker.RecordBatch;

/**
 * A processor safe for concurrent batches that never returns from a batch of key {@code stuck},
 * as one waiting on a call without a timeout, and does nothing with every other key's records.
 * Workers load it through {@code STREAMFLEET_CLASSPATH}.
 */
public final class StuckKeyProcessor implements ConcurrentRecordProcessor {

    public static final String STUCK_KEY = "stuck";

    @Override
    public void process(RecordBatch batch, Checkpointer checkpointer) throws InterruptedException {
        if (!batch.records().isEmpty() && batch.records().get(0).partitionKey().equals(STUCK_KEY)) {
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
