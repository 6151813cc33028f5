package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.checkpoint.OwnershipLostException;
import dev.streamfleet.coordinator.UnitContext;
import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.MonotonicClock;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.PositionCodec;
import dev.streamfleet.worker.DeadLetterSink;
import dev.streamfleet.worker.FailedRecord;
import dev.streamfleet.worker.Fetch;
import dev.streamfleet.worker.RecordBatch;
import dev.streamfleet.worker.StreamRecord;
import dev.streamfleet.worker.internal.parallel.ProgressTracker;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.random.RandomGenerator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A unit's records one batch at a time, in stream order, inside the unit's own message: fetch,
 * {@code process}, and on to the next. A batch that throws is offered again after a backoff and
 * never skipped; after its last attempt it stops the unit as FAILED or, with dead letters, is
 * narrowed down to the record that fails alone. Runs on the unit's mailbox.
 */
final class SerialSteps implements UnitSteps {

    private static final Logger LOG = LoggerFactory.getLogger(SerialSteps.class);
    private static final Duration LEASE_UNCERTAIN_POLL = Duration.ofMillis(50);

    private final Host host;
    private final UnitContext context;
    private final WorkerSettings settings;
    private final MonotonicClock clock;
    private final RandomGenerator random;
    private final UnitMetrics metrics;
    private final ProgressWatch progress;
    private final UnitCheckpoints checkpoints;
    private Position processed;
    /**
     * The last record the processor may checkpoint: during {@code process}, the end of the batch in
     * hand; otherwise what was processed. A batch that threw is not covered by it.
     */
    private Position handedOver;
    /**
     * The records the resumed row recorded as finished beyond its position (an owner at a higher
     * parallelism wrote it): they are not handed over again. Kept for the runner's life (each record
     * costs it a constant), since only the tracker knows where the set ends; null when there is none,
     * or once it was found not to name the records read.
     */
    private ProgressTracker resumedFinished;
    /** The last record read, when records after the batch in hand were recorded as finished: processed with it. */
    private Position finishedAfterBatch;
    /** A batch to offer again: one that failed, one held back while the lease was uncertain, or a single. */
    private RecordBatch failedBatch;
    private int failedAttempts;
    /** When a failed batch may be offered again. */
    private Instant retryNotBefore = Instant.MIN;
    /** With dead letters: the rest of a batch that kept failing, offered one record at a time. */
    private final Deque<StreamRecord> singles = new ArrayDeque<>();

    SerialSteps(Host host, UnitContext context, WorkerSettings settings, MonotonicClock clock, RandomGenerator random,
                UnitMetrics metrics, ProgressWatch progress, UnitCheckpoints checkpoints) {
        this.host = host;
        this.context = context;
        this.settings = settings;
        this.clock = clock;
        this.random = random;
        this.metrics = metrics;
        this.progress = progress;
        this.checkpoints = checkpoints;
        this.processed = checkpoints.written();
        this.handedOver = processed;
        this.resumedFinished = checkpoints.writtenFinished().isEmpty() ? null : new ProgressTracker(context.unit().kind(),
                Optional.ofNullable(checkpoints.written()), checkpoints.writtenFinished());
    }

    /**
     * The records of a fetch not recorded as finished by the resumed row, counted as the lanes
     * count them. When every record was, they count as processed at once.
     */
    private List<StreamRecord> unfinished(List<StreamRecord> records) {
        if (resumedFinished == null) {
            return records;
        }
        List<StreamRecord> kept = new ArrayList<>(records.size());
        for (StreamRecord record : records) {
            long ordinal = resumedFinished.dispatch(record.position());
            if (ordinal >= 0) {
                resumedFinished.finish(ordinal);
                kept.add(record);
            }
        }
        resumedFinished.ignoredResumedSet().ifPresent(why -> LOG.warn("{}: {}", context.unit(), why));
        Position last = records.get(records.size() - 1).position();
        if (kept.isEmpty()) {
            processed = last;
            handedOver = last;
        } else if (!kept.get(kept.size() - 1).position().equals(last)) {
            finishedAfterBatch = last;
        }
        if (resumedFinished.ignoredResumedSet().isPresent()) {
            resumedFinished = null;
        }
        return kept;
    }

    @Override
    public void step() {
        Instant now = clock.instant();
        if (failedBatch != null && now.isBefore(retryNotBefore)) {
            // An early step (the unit resumed after a pause) keeps the retry's backoff.
            host.scheduleStep(Duration.between(now, retryNotBefore), false);
            return;
        }
        Fetch fetch = null;
        RecordBatch batch = failedBatch;
        if (batch == null && !context.validity().current()) {
            // Nor is the source asked for more while the lease may have lapsed: for fan-out a new
            // SubscribeToShard would take the shard back from the unit's next owner.
            host.scheduleStep(LEASE_UNCERTAIN_POLL, false);
            return;
        }
        if (batch == null) {
            fetch = host.fetchOrWait();
            if (fetch == null) {
                return;
            }
            List<StreamRecord> records = fetch.records().isEmpty() ? fetch.records() : unfinished(fetch.records());
            if (!records.isEmpty()) {
                batch = new RecordBatch(context.unit(), records, fetch.millisBehindLatest(), fetch.offsetLag());
            } else {
                progress.progressed(clock.instant(), false);
            }
        }
        if (batch != null) {
            progress.recordsWaiting();
        }
        if (batch != null && !context.validity().current()) {
            // The lease may have lapsed (the process was frozen, ZooKeeper is silent): hold the
            // batch until the session is confirmed again or the unit is taken away.
            failedBatch = batch;
            host.scheduleStep(LEASE_UNCERTAIN_POLL, false);
            return;
        }
        if (batch != null && !process(batch)) {
            return;
        }
        if (batch != null) {
            progress.progressed(clock.instant(),
                    batch.offsetLag().orElse(0) > 0 || batch.millisBehindLatest().orElse(0) > 0);
        }
        host.checkpointIfDue(false);
        if (!host.reading()) {
            return;
        }
        if (fetch != null && fetch.endOfUnit()) {
            host.end();
            return;
        }
        boolean idle = fetch != null && fetch.records().isEmpty();
        host.scheduleStep(fetch == null ? Duration.ZERO : host.nextDelay(fetch), idle);
    }

    /** Returns true when the batch was processed; otherwise it schedules the retry or stops the unit. */
    private boolean process(RecordBatch batch) {
        handedOver = batch.last().position();
        long started = System.nanoTime();
        try {
            host.processor().process(batch, host.checkpointer());
        } catch (OwnershipLostException e) {
            metrics.busy(System.nanoTime() - started);
            handedOver = processed;
            throw e;
        } catch (Exception | LinkageError | AssertionError | StackOverflowError e) {
            // Nothing of this batch counts as processed: no later checkpoint may cover it, revoked's included.
            handedOver = processed;
            Optional<String> fenced = checkpoints.fenced();
            if (fenced.isPresent()) {
                // The processor's own checkpoint was fenced and it threw something else: the unit is lost
                // all the same, and the batch is no failure to retry or dead-letter.
                metrics.busy(System.nanoTime() - started);
                throw new OwnershipLostException(fenced.get());
            }
            // An Error from user code (a jar built against another version, a failed assertion, runaway
            // recursion) is the processor failing on this batch, like an exception. Running out of memory is
            // not: bin/streamfleet exits the JVM on it, so the units move.
            metrics.busy(System.nanoTime() - started);
            failedBatch = batch;
            failedAttempts++;
            metrics.retried();
            if (!settings.processorRetry().allowsRetryAfter(failedAttempts)) {
                if (settings.deadLetters().isPresent()) {
                    return narrowDown(batch, e);
                }
                host.fail("processor failed " + failedAttempts + " times on the batch after "
                        + (processed == null ? "the start" : PositionCodec.encode(processed)) + ": " + e);
                return false;
            }
            Duration delay = settings.processorRetry().delayAfter(failedAttempts, random);
            retryNotBefore = clock.instant().plus(delay);
            LOG.warn("{}: processor failed (attempt {}), offering the batch again in {} ms: {}", context.unit(),
                    failedAttempts, delay.toMillis(), e.toString());
            host.scheduleStep(delay, false);
            return false;
        }
        metrics.busy(System.nanoTime() - started);
        failedBatch = nextSingle();
        failedAttempts = 0;
        processed = failedBatch == null && finishedAfterBatch != null ? finishedAfterBatch : batch.last().position();
        finishedAfterBatch = failedBatch == null ? null : finishedAfterBatch;
        handedOver = processed;
        metrics.processed(batch.records());
        Optional<String> fenced = checkpoints.fenced();
        if (fenced.isPresent()) {
            // The processor's own checkpoint was fenced and it carried on: stop now, another owner may be reading.
            throw new OwnershipLostException(fenced.get());
        }
        return true;
    }

    /**
     * With dead letters, a batch that failed through every attempt: its records are offered one at
     * a time, each with attempts of its own, so that only a record that fails alone is
     * dead-lettered. Returns true when the batch was a single record that is now dead-lettered and
     * so done with; false when the step must wait (for the first single, or because the unit
     * failed).
     */
    private boolean narrowDown(RecordBatch batch, Throwable cause) {
        if (batch.records().size() > 1) {
            LOG.warn("{}: processor failed {} times on a batch; offering its {} records one at a time", context.unit(),
                    failedAttempts, batch.records().size());
            singles.addAll(batch.records());
            failedBatch = nextSingle();
            failedAttempts = 0;
            host.scheduleStep(Duration.ZERO, false);
            return false;
        }
        StreamRecord record = batch.records().get(0);
        DeadLetterSink sink = settings.deadLetters().orElseThrow();
        try {
            sink.send(new FailedRecord(record, failedAttempts, cause.toString()));
        } catch (Exception e) {
            host.fail("record " + PositionCodec.encode(record.position()) + " failed " + failedAttempts + " times ("
                    + cause + ") and could not be written to " + sink.describe() + ": " + e);
            return false;
        }
        LOG.warn("{}: record {} (key '{}') failed {} times and was written to {}: {}", context.unit(),
                PositionCodec.encode(record.position()), record.partitionKey(), failedAttempts, sink.describe(),
                cause.toString());
        metrics.deadLettered();
        failedBatch = nextSingle();
        failedAttempts = 0;
        processed = record.position();
        handedOver = processed;
        return true;
    }

    /** The next record of a batch being narrowed down, as a batch of its own; null when there is none. */
    private RecordBatch nextSingle() {
        StreamRecord next = singles.poll();
        return next == null ? null : new RecordBatch(context.unit(), List.of(next), OptionalLong.empty(),
                OptionalLong.empty());
    }

    /** A serial batch is only ever with the processor inside the unit's own message. */
    @Override
    public boolean hasOut() {
        return false;
    }

    @Override
    public void stopThen(Runnable action) {
        action.run();
    }

    @Override
    public Optional<Position> processed() {
        return Optional.ofNullable(processed);
    }

    @Override
    public FinishedBeyond finishedBeyond() {
        return FinishedBeyond.NONE;
    }

    @Override
    public Optional<Position> handedOver() {
        return Optional.ofNullable(handedOver);
    }
}
