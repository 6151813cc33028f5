package dev.streamfleet.it.cli;

import dev.streamfleet.worker.Checkpointer;
import dev.streamfleet.worker.RecordBatch;
import dev.streamfleet.worker.RecordProcessor;

/**
 * A processor as a jar built against another version of a library behaves: every batch ends in
 * {@link NoSuchMethodError}. Workers load it through {@code STREAMFLEET_CLASSPATH}.
 */
public final class LinkageFailingProcessor implements RecordProcessor {

    @Override
    public void process(RecordBatch batch, Checkpointer checkpointer) {
        throw new NoSuchMethodError("'void dev.example.Client.send(java.lang.String)'");
    }
}
