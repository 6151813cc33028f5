package dev.streamfleet.bench;

import dev.streamfleet.worker.Checkpointer;
import dev.streamfleet.worker.RecordBatch;
import dev.streamfleet.worker.RecordProcessor;

/** Does nothing with the records, so that a benchmark measures the worker alone. */
public final class NoOpProcessor implements RecordProcessor {

    @Override
    public void process(RecordBatch batch, Checkpointer checkpointer) {
        // Nothing: the records are consumed.
    }
}
