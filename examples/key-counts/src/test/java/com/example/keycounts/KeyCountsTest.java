package com.example.keycounts;

import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.Checkpointer;
import dev.streamfleet.worker.ProcessorOptions;
import dev.streamfleet.worker.RecordBatch;
import dev.streamfleet.worker.RecordProcessor;
import dev.streamfleet.worker.StreamRecord;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeyCountsTest {

    private static final UnitId UNIT = UnitId.kafka("orders", 0);

    @TempDir
    Path dir;

    @Test
    void theCountsAreOnDiskBeforeTheUnitIsCheckpointed() throws Exception {
        Path out = dir.resolve("counts-{worker}.jsonl");
        RecordProcessor processor = new KeyCounts(ProcessorOptions.of(Map.of("path", out.toString()), WorkerId.of("w1")))
                .create(UNIT);
        Path file = dir.resolve("counts-w1.jsonl");
        List<String> seenAtCheckpoint = new ArrayList<>();
        Checkpointer checkpointer = new Checkpointer() {
            @Override
            public void checkpoint() {
                throw new AssertionError("the processor checkpoints the batch's last position");
            }

            @Override
            public void checkpoint(Position position) {
                try {
                    seenAtCheckpoint.add(position + " after " + Files.readAllLines(file).size() + " lines");
                } catch (java.io.IOException e) {
                    throw new AssertionError(e);
                }
            }
        };

        processor.process(batch(record(1, "a"), record(2, "b"), record(3, "a")), checkpointer);

        assertEquals(List.of("{\"unit\":\"kafka/orders/0\",\"key\":\"a\",\"records\":2,\"upTo\":\"offset:3\"}",
                "{\"unit\":\"kafka/orders/0\",\"key\":\"b\",\"records\":1,\"upTo\":\"offset:3\"}"), Files.readAllLines(file));
        assertEquals(1, seenAtCheckpoint.size());
        assertTrue(seenAtCheckpoint.get(0).endsWith(" after 2 lines"), seenAtCheckpoint.get(0));
    }

    @Test
    void withoutAPathTheStartIsRefusedNamingTheOption() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> new KeyCounts(ProcessorOptions.of(Map.of(), WorkerId.of("w1"))));
        assertTrue(refused.getMessage().contains("processor.options.path"), refused.getMessage());
    }

    private static RecordBatch batch(StreamRecord... records) {
        return new RecordBatch(UNIT, List.of(records), OptionalLong.empty(), OptionalLong.empty());
    }

    private static StreamRecord record(long offset, String key) {
        return new StreamRecord(UNIT, new Position.Offset(offset), key, key.getBytes(StandardCharsets.UTF_8), Instant.EPOCH);
    }
}
