package dev.streamfleet.it.faults;

import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.Checkpointer;
import dev.streamfleet.worker.ConcurrentRecordProcessor;
import dev.streamfleet.worker.ProcessorContext;
import dev.streamfleet.worker.RecordBatch;
import dev.streamfleet.worker.RecordProcessor;
import dev.streamfleet.worker.RecordProcessorFactory;
import dev.streamfleet.worker.processors.JsonLinesSink;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * For the fault suite at parallelism above 1, loaded into worker processes through
 * STREAMFLEET_CLASSPATH: writes every record to the worker's JSON-lines file, as the built-in
 * jsonl processor does, after a random 0–15 ms, so that batches of different keys finish out
 * of order. The file is {@code STREAMFLEET_TEST_JSONL} with {worker} replaced.
 */
public final class SlowJsonlProcessors implements RecordProcessorFactory {

    private static final Map<String, JsonLinesSink> SINKS = new ConcurrentHashMap<>();

    @Override
    public RecordProcessor create(UnitId unit) {
        return new Slow();
    }

    private static final class Slow implements ConcurrentRecordProcessor {
        private JsonLinesSink sink;

        @Override
        public void initialize(ProcessorContext context) {
            String template = System.getenv("STREAMFLEET_TEST_JSONL");
            sink = SINKS.computeIfAbsent(context.worker().value(), worker -> new JsonLinesSink(
                    Path.of(template.replace("{worker}", worker)), context.worker(), Clock.systemUTC()));
        }

        @Override
        public void process(RecordBatch batch, Checkpointer checkpointer) throws Exception {
            Thread.sleep(ThreadLocalRandom.current().nextInt(16));
            sink.write(batch);
        }
    }
}
