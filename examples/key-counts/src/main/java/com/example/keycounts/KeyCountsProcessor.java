package com.example.keycounts;

import dev.streamfleet.core.PositionCodec;
import dev.streamfleet.worker.Checkpointer;
import dev.streamfleet.worker.RecordBatch;
import dev.streamfleet.worker.RecordProcessor;
import dev.streamfleet.worker.StreamRecord;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts one unit's records per key. Each batch's counts are appended to the file and synced
 * to disk, and only then is the unit checkpointed up to the batch's last record: a crash at any
 * moment loses no count, and at worst counts a batch twice (the records after the last
 * checkpoint come again), never skips one.
 */
final class KeyCountsProcessor implements RecordProcessor {

    private final CountsFile file;

    KeyCountsProcessor(CountsFile file) {
        this.file = file;
    }

    @Override
    public void process(RecordBatch batch, Checkpointer checkpointer) throws IOException {
        Map<String, Long> counts = new TreeMap<>();
        for (StreamRecord record : batch.records()) {
            counts.merge(record.partitionKey(), 1L, Long::sum);
        }
        StringBuilder lines = new StringBuilder();
        counts.forEach((key, records) -> lines.append("{\"unit\":\"").append(json(batch.unit().toString()))
                .append("\",\"key\":\"").append(json(key)).append("\",\"records\":").append(records)
                .append(",\"upTo\":\"").append(json(PositionCodec.encode(batch.last().position()))).append("\"}\n"));
        file.append(lines.toString());
        checkpointer.checkpoint(batch.last().position());
    }

    private static String json(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
