package dev.streamfleet.worker.internal.processors;

import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.RecordBatch;
import dev.streamfleet.worker.StreamRecord;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.OptionalLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class JsonLinesSinkTest {

    private static final UnitId UNIT = UnitId.kinesis("orders", "shardId-000000000001");
    private static final Instant NOW = Instant.parse("2026-11-25T07:00:00Z");

    @TempDir
    Path dir;

    @Test
    void aKafkaRecordsHeadersAndTimestampTypeAreWrittenWithIt() throws Exception {
        Path file = dir.resolve("kafka.jsonl");
        UnitId partition = UnitId.kafka("orders", 0);
        byte[] key = {(byte) 0xff, 1};
        StreamRecord record = new StreamRecord(partition, new Position.Offset(8), StreamRecord.keyText(key),
                "x".getBytes(StandardCharsets.UTF_8), NOW, key,
                List.of(new dev.streamfleet.worker.RecordHeader("trace", "abc".getBytes(StandardCharsets.UTF_8)),
                        new dev.streamfleet.worker.RecordHeader("raw", new byte[] {(byte) 0xff})),
                dev.streamfleet.worker.TimestampType.LOG_APPEND_TIME);

        try (JsonLinesSink sink = new JsonLinesSink(file, WorkerId.of("w1"), Clock.fixed(NOW, ZoneOffset.UTC))) {
            sink.write(new RecordBatch(partition, List.of(record), OptionalLong.empty(), OptionalLong.empty()));
        }

        JsonNode line = new ObjectMapper().readTree(Files.readAllLines(file).get(0));
        assertThat(line.get("partitionKey").asText()).isEqualTo("base64:/wE=");
        assertThat(line.get("timestampType").asText()).isEqualTo("LOG_APPEND_TIME");
        assertThat(line.get("headers").get(0).get("key").asText()).isEqualTo("trace");
        assertThat(line.get("headers").get(0).get("value").asText()).isEqualTo("abc");
        assertThat(line.get("headers").get(1).get("value").asText()).isEqualTo("base64:/w==");
    }

    @Test
    void everyRecordBecomesOneParseableLineWithItsProvenance() throws Exception {
        Path file = dir.resolve("out/records.jsonl");
        StreamRecord text = new StreamRecord(UNIT, Position.Sequence.of("123"), "key \"1\"\n",
                "hello, \"world\"\n".getBytes(StandardCharsets.UTF_8), NOW.minusSeconds(1));
        StreamRecord binary = new StreamRecord(UNIT, Position.Sequence.of("124"), "k2", new byte[] {(byte) 0xff, 0, 1},
                NOW.minusSeconds(1));

        try (JsonLinesSink sink = new JsonLinesSink(file, WorkerId.of("w1"), Clock.fixed(NOW, ZoneOffset.UTC))) {
            sink.write(new RecordBatch(UNIT, List.of(text, binary), OptionalLong.empty(), OptionalLong.empty()));
        }

        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(2);
        ObjectMapper mapper = new ObjectMapper();
        JsonNode first = mapper.readTree(lines.get(0));
        assertThat(first.get("unit").asText()).isEqualTo(UNIT.toString());
        assertThat(first.get("position").asText()).isEqualTo("seq:123");
        assertThat(first.get("partitionKey").asText()).isEqualTo("key \"1\"\n");
        assertThat(first.get("data").asText()).isEqualTo("hello, \"world\"\n");
        assertThat(first.has("encoding")).isFalse();
        assertThat(first.get("worker").asText()).isEqualTo("w1");
        assertThat(first.get("processingTime").asText()).isEqualTo(NOW.toString());
        JsonNode second = mapper.readTree(lines.get(1));
        assertThat(second.get("encoding").asText()).isEqualTo("base64");
        assertThat(second.get("data").asText()).isEqualTo("/wAB");
    }

    @Test
    void reopeningAppendsInsteadOfTruncating() throws Exception {
        Path file = dir.resolve("records.jsonl");
        StreamRecord record = new StreamRecord(UNIT, Position.Sequence.of("1"), "k", new byte[] {65}, NOW);
        for (int i = 0; i < 2; i++) {
            try (JsonLinesSink sink = new JsonLinesSink(file, WorkerId.of("w1"), Clock.systemUTC())) {
                sink.write(new RecordBatch(UNIT, List.of(record), OptionalLong.empty(), OptionalLong.empty()));
            }
        }
        assertThat(Files.readAllLines(file)).hasSize(2);
    }
}
