package dev.streamfleet.it.cli;

import dev.streamfleet.worker.Checkpointer;
import dev.streamfleet.worker.RecordBatch;
import dev.streamfleet.worker.RecordProcessor;

/**
 * A processor whose first batch never returns, as one waiting on a call without a timeout.
 * Workers load it through {@code STREAMFLEET_CLASSPATH}.
 */
public final class BlockedProcessor implements RecordProcessor {

    @Override
    public void process(RecordBatch batch, Checkpointer checkpointer) throws InterruptedException {
        Thread.sleep(Long.MAX_VALUE);
    }
}
