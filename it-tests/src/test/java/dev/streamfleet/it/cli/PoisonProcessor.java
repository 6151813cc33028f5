package dev.streamfleet.it.cli;

import dev.streamfleet.worker.Checkpointer;
import dev.streamfleet.worker.RecordBatch;
import dev.streamfleet.worker.RecordProcessor;

import java.nio.charset.StandardCharsets;

/**
 * A processor that cannot handle one record, {@code id-2}, and fails every batch holding it.
 * Workers load it through {@code STREAMFLEET_CLASSPATH}.
 */
public final class PoisonProcessor implements RecordProcessor {

    @Override
    public void process(RecordBatch batch, Checkpointer checkpointer) {
        if (batch.records().stream().anyMatch(r -> new String(r.data(), StandardCharsets.UTF_8).equals("id-2"))) {
            throw new IllegalArgumentException("cannot parse id-2");
        }
    }
}
