package dev.streamfleet.it.cli;

import dev.streamfleet.worker.Checkpointer;
import dev.streamfleet.worker.ProcessorOptions;
import dev.streamfleet.worker.RecordBatch;
import dev.streamfleet.worker.RecordProcessor;
import dev.streamfleet.worker.StreamRecord;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A plain serial processor as the README describes one: it appends each record's data as a line
 * to the file of option {@code path}, synced before it returns, and then checkpoints the position
 * of the batch's last record itself. Workers load it through {@code STREAMFLEET_CLASSPATH}.
 */
public final class PositionCheckpointingProcessor implements RecordProcessor {

    private final Path file;

    public PositionCheckpointingProcessor(ProcessorOptions options) {
        this.file = Path.of(options.require("path"));
    }

    @Override
    public void process(RecordBatch batch, Checkpointer checkpointer) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (StreamRecord record : batch.records()) {
            lines.append(new String(record.data(), StandardCharsets.UTF_8)).append('\n');
        }
        // Processed means on disk: a line a test reads is a record this processor has finished.
        Files.writeString(file, lines, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.DSYNC);
        checkpointer.checkpoint(batch.records().get(batch.records().size() - 1).position());
    }
}
