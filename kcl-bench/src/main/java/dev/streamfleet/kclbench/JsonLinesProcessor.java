package dev.streamfleet.kclbench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import software.amazon.kinesis.exceptions.KinesisClientLibException;
import software.amazon.kinesis.lifecycle.events.InitializationInput;
import software.amazon.kinesis.lifecycle.events.LeaseLostInput;
import software.amazon.kinesis.lifecycle.events.ProcessRecordsInput;
import software.amazon.kinesis.lifecycle.events.ShardEndedInput;
import software.amazon.kinesis.lifecycle.events.ShutdownRequestedInput;
import software.amazon.kinesis.processor.RecordProcessorCheckpointer;
import software.amazon.kinesis.processor.ShardRecordProcessor;
import software.amazon.kinesis.retrieval.KinesisClientRecord;

/**
 * One shard's processor: writes each record as a JSON line (or nothing, for CPU runs), counts it,
 * and checkpoints after a batch when the last checkpoint is at least the interval old; at shard
 * end and on a graceful shutdown it checkpoints what it processed.
 */
final class JsonLinesProcessor implements ShardRecordProcessor {

    private final String stream;
    private final String workerId;
    private final RecordLines lines;
    private final Progress progress;
    private final Duration checkpointInterval;
    private String unit;
    private long lastCheckpointNanos = System.nanoTime();

    JsonLinesProcessor(String stream, String workerId, RecordLines lines, Progress progress, Duration checkpointInterval) {
        this.stream = stream;
        this.workerId = workerId;
        this.lines = lines;
        this.progress = progress;
        this.checkpointInterval = checkpointInterval;
    }

    @Override
    public void initialize(InitializationInput input) {
        unit = "kinesis/" + stream + "/" + input.shardId();
    }

    @Override
    public void processRecords(ProcessRecordsInput input) {
        List<KinesisClientRecord> records = input.records();
        if (!records.isEmpty()) {
            String now = Instant.now().toString();
            List<String> out = new ArrayList<>(records.size());
            for (KinesisClientRecord record : records) {
                byte[] data = new byte[record.data().remaining()];
                record.data().duplicate().get(data);
                out.add("{\"data\":" + RecordLines.quote(new String(data, StandardCharsets.UTF_8)) + ",\"unit\":"
                        + RecordLines.quote(unit) + ",\"worker\":" + RecordLines.quote(workerId) + ",\"processingTime\":\""
                        + now + "\"}");
            }
            lines.write(out);
            progress.processed(records.size());
        }
        if (System.nanoTime() - lastCheckpointNanos >= checkpointInterval.toNanos() && !records.isEmpty()) {
            checkpoint(input.checkpointer());
        }
    }

    private void checkpoint(RecordProcessorCheckpointer checkpointer) {
        try {
            checkpointer.checkpoint();
            lastCheckpointNanos = System.nanoTime();
        } catch (KinesisClientLibException e) {
            System.err.println(unit + ": checkpoint failed: " + e);
        }
    }

    @Override
    public void leaseLost(LeaseLostInput input) {
    }

    @Override
    public void shardEnded(ShardEndedInput input) {
        checkpoint(input.checkpointer());
    }

    @Override
    public void shutdownRequested(ShutdownRequestedInput input) {
        checkpoint(input.checkpointer());
    }
}
