package dev.streamfleet.it.faults;

import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.Checkpointer;
import dev.streamfleet.worker.ConcurrentRecordProcessor;
import dev.streamfleet.worker.ProcessorContext;
import dev.streamfleet.worker.RecordBatch;
import dev.streamfleet.worker.RecordProcessor;
import dev.streamfleet.worker.RecordProcessorFactory;
import dev.streamfleet.worker.RevokeContext;
import dev.streamfleet.worker.LostContext;
import dev.streamfleet.worker.ShardEndContext;
import dev.streamfleet.worker.StreamRecord;
import dev.streamfleet.worker.internal.processors.JsonLinesSink;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * For the fault suite, loaded into worker processes through STREAMFLEET_CLASSPATH: writes every
 * record to the worker's JSON-lines file, as the built-in jsonl processor does, and every callback
 * to the worker's {@link CallbackLog}. The files are {@code STREAMFLEET_TEST_JSONL} and
 * {@code STREAMFLEET_TEST_CALLBACKS} with {worker} replaced. With {@code STREAMFLEET_TEST_JITTER}
 * set, each batch waits a random 0–15 ms first, so that at parallelism above 1 batches of
 * different keys finish out of order. With
 * {@code STREAMFLEET_TEST_WORK_PER_RECORD_MS} set, each record waits that long and is written
 * when its wait is over, like a processor that makes one remote call per record. With
 * {@code STREAMFLEET_TEST_HOLD_BATCH_MS} set, each batch is written at once and then held that
 * long before {@code process} returns, like a processor that waits for an acknowledgement: a
 * worker frozen now is almost surely frozen inside {@code process}, and on thawing it returns
 * with a checkpoint due. With {@code STREAMFLEET_TEST_HANG_WHEN} set to a file's path, from the
 * moment that file exists every call to {@code process} blocks forever, interrupts ignored, before
 * it writes its batch: a processor stuck in a call that never times out. With
 * {@code STREAMFLEET_TEST_POISON_EVERY} set to n, a batch that holds a
 * poison record ({@link #isPoison}) fails before anything of it is written, every time, in every
 * worker: what the dead letters are for.
 */
public final class SlowJsonlProcessors implements RecordProcessorFactory {

    private static final Map<String, JsonLinesSink> SINKS = new ConcurrentHashMap<>();
    private static final Map<String, CallbackLog> LOGS = new ConcurrentHashMap<>();
    private static final boolean JITTER = System.getenv("STREAMFLEET_TEST_JITTER") != null;
    private static final String WORK_PER_RECORD = System.getenv("STREAMFLEET_TEST_WORK_PER_RECORD_MS");
    private static final String HOLD_BATCH = System.getenv("STREAMFLEET_TEST_HOLD_BATCH_MS");
    /** The variable naming the file whose existence makes every batch hang. */
    static final String HANG_WHEN_VARIABLE = "STREAMFLEET_TEST_HANG_WHEN";
    private static final String HANG_WHEN = System.getenv(HANG_WHEN_VARIABLE);
    private static final String POISON_EVERY = System.getenv("STREAMFLEET_TEST_POISON_EVERY");
    /** Which record of each {@code every} is poison: not the first, so a key's first record is healthy. */
    private static final long POISON_REMAINDER = 7;

    /**
     * The rule, on the load's ids ({@code k-<n>}, {@code f-<n>}, see {@link LoadProducer}): poison
     * when {@code n % every} is 7. Deterministic, so the test knows which records must become
     * dead letters.
     */
    public static boolean isPoison(String id, int every) {
        int dash = id.indexOf('-');
        if (every <= 0 || dash < 0) {
            return false;
        }
        try {
            return Long.parseLong(id.substring(dash + 1)) % every == POISON_REMAINDER % every;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    @Override
    public RecordProcessor create(UnitId unit) {
        return new Slow();
    }

    /** Never returns, as a call without a timeout to a peer that never answers; an interrupt does not end it. */
    @SuppressWarnings("InfiniteLoopStatement")
    private static void hangForever() {
        while (true) {
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                // A hung call does not hear interrupts either.
            }
        }
    }

    private static final class Slow implements ConcurrentRecordProcessor {
        private final String instance = CallbackLog.newInstance();
        private JsonLinesSink sink;
        private CallbackLog log;
        private String unit;

        @Override
        public void initialize(ProcessorContext context) {
            String template = System.getenv("STREAMFLEET_TEST_JSONL");
            String callbacks = System.getenv("STREAMFLEET_TEST_CALLBACKS");
            unit = context.unit().toString();
            if (callbacks != null) {
                log = LOGS.computeIfAbsent(context.worker().value(), worker -> new CallbackLog(
                        Path.of(callbacks.replace("{worker}", worker))));
            }
            note("initialize");
            sink = SINKS.computeIfAbsent(context.worker().value(), worker -> new JsonLinesSink(
                    Path.of(template.replace("{worker}", worker)), context.worker(), Clock.systemUTC()));
        }

        @Override
        public void process(RecordBatch batch, Checkpointer checkpointer) throws Exception {
            note("process");
            try {
                processBatch(batch);
            } finally {
                note("processed");
            }
        }

        @Override
        public void revoked(RevokeContext context, Checkpointer checkpointer) {
            note("revoked");
            note("returned");
        }

        @Override
        public void lost(LostContext context) {
            note("lost");
            note("returned");
        }

        @Override
        public void shardEnded(ShardEndContext context, Checkpointer checkpointer) {
            note("shardEnded");
            note("returned");
        }

        /** Adds the event to the callback log, when this worker keeps one. */
        private void note(String event) {
            if (log != null) {
                log.add(instance, unit, event);
            }
        }

        private void processBatch(RecordBatch batch) throws Exception {
            if (HANG_WHEN != null && Files.exists(Path.of(HANG_WHEN))) {
                hangForever();
            }
            if (POISON_EVERY != null) {
                // Before anything is written: a batch that fails leaves no line, so its retry repeats nothing.
                for (StreamRecord record : batch.records()) {
                    String id = StreamRecord.utf8(record.data()).orElse("");
                    if (isPoison(id, Integer.parseInt(POISON_EVERY))) {
                        throw new IllegalStateException("poison record " + id);
                    }
                }
            }
            if (HOLD_BATCH != null) {
                // Written while the lease is certain; the hold is only the wait for an acknowledgement.
                sink.write(batch);
                Thread.sleep(Long.parseLong(HOLD_BATCH));
                return;
            }
            if (WORK_PER_RECORD == null) {
                if (JITTER) {
                    Thread.sleep(ThreadLocalRandom.current().nextInt(16));
                }
                sink.write(batch);
                return;
            }
            // One remote call per record: each record's effect happens when its own wait is over.
            for (StreamRecord record : batch.records()) {
                Thread.sleep(Long.parseLong(WORK_PER_RECORD));
                sink.write(new RecordBatch(batch.unit(), List.of(record), OptionalLong.empty(), OptionalLong.empty()));
            }
        }
    }
}
