package dev.streamfleet.worker.internal.processors;

import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.PositionCodec;
import dev.streamfleet.worker.RecordBatch;
import dev.streamfleet.worker.RecordHeader;
import dev.streamfleet.worker.StreamRecord;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.Base64;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

/**
 * One JSON line per record, appended to a file shared by every unit of a worker: unit,
 * position, partition key, data (as text when it is UTF-8, else base64 with
 * {@code "encoding":"base64"}), arrival time, worker and processing time. Each batch is
 * written and flushed as a whole before the batch counts as processed, so a checkpoint never
 * runs ahead of the file.
 */
public final class JsonLinesSink implements AutoCloseable {

    private static final JsonFactory JSON = new JsonFactory();

    private final Path path;
    private final WorkerId worker;
    private final Clock clock;
    private final BufferedWriter writer;

    public JsonLinesSink(Path path, WorkerId worker, Clock clock) {
        this.path = path;
        this.worker = worker;
        this.clock = clock;
        try {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            this.writer = Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the jsonl output " + path + ": " + e.getMessage(), e);
        }
    }

    /** Appends the batch's lines and flushes them. */
    public synchronized void write(RecordBatch batch) throws IOException {
        String processedAt = clock.instant().toString();
        try (JsonGenerator json = JSON.createGenerator(writer)) {
            json.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            json.setRootValueSeparator(null);
            for (StreamRecord record : batch.records()) {
                json.writeStartObject();
                json.writeStringField("unit", record.unit().toString());
                json.writeStringField("position", PositionCodec.encode(record.position()));
                json.writeStringField("partitionKey", record.partitionKey());
                String text = StreamRecord.utf8(record.data()).orElse(null);
                if (text != null) {
                    json.writeStringField("data", text);
                } else {
                    json.writeStringField("data", Base64.getEncoder().encodeToString(record.data()));
                    json.writeStringField("encoding", "base64");
                }
                json.writeStringField("arrivalTime", record.arrivalTime().toString());
                json.writeStringField("timestampType", record.timestampType().name());
                if (record.explicitHashKey().isPresent()) {
                    json.writeStringField("explicitHashKey", record.explicitHashKey().get());
                }
                if (!record.headers().isEmpty()) {
                    json.writeArrayFieldStart("headers");
                    for (RecordHeader header : record.headers()) {
                        json.writeStartObject();
                        json.writeStringField("key", header.key());
                        json.writeStringField("value", StreamRecord.keyText(header.value()));
                        json.writeEndObject();
                    }
                    json.writeEndArray();
                }
                json.writeStringField("worker", worker.value());
                json.writeStringField("processingTime", processedAt);
                json.writeEndObject();
                json.writeRaw('\n');
            }
        }
        writer.flush();
    }

    public Path path() {
        return path;
    }

    @Override
    public synchronized void close() {
        try {
            writer.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
