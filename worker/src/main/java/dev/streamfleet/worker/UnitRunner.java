package dev.streamfleet.worker;

import dev.streamfleet.checkpoint.CheckpointException;
import dev.streamfleet.checkpoint.OwnershipLostException;
import dev.streamfleet.coordinator.RevokeReason;
import dev.streamfleet.coordinator.Scheduler;
import dev.streamfleet.coordinator.UnitContext;
import dev.streamfleet.coordinator.UnitWork;
import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.PositionCodec;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One unit on this worker: it owns the unit's source, its processor, its positions and its
 * phase, and it is the only thing that ever calls the processor.
 *
 * <pre>
 *   STARTING ──▶ READING ⇄ PAUSED
 *                  │  │
 *                  │  ├──▶ FAILED ──(revoke or abandon)──▶ CLOSED
 *                  │  ├──(shard end)──▶ ENDING ──(written, or fenced)──▶ CLOSED
 *                  │  └──(fenced)──▶ CLOSED
 *                  └──(revoke)──▶ CLOSED
 * </pre>
 *
 * <p>The processor's ending is one terminal step ({@link #hear}): it hears exactly one of
 * revoked, lost or shardEnded, once, and only if its {@code initialize} returned. What the
 * store does after that (a fenced or failed final write) changes only what is reported to the
 * coordinator, never what the processor hears. At a shard end, a transient failure retries the
 * writes, not the callback, and the shard still ends.
 *
 * <p>Everything the unit does is a message in its mailbox: a fetch → process → checkpoint step,
 * a wake-up from the source, pause, resume, revoke and abandon. The messages run one at a time,
 * in order, on the worker's shared pool, so the processor's callbacks never overlap and its
 * state needs no lock. A revoke or abandon that arrives while {@code process} runs is taken
 * after it returns; the revoke's future, which only the unit completes, tells the coordinator
 * whether the final checkpoint was written. A batch that never returns is reported as overdue
 * at the drain deadline and, after {@link WorkerSettings#stuckAfter}, handed to the worker's
 * {@link WorkerSettings#onStuck} (in a worker process: exit, so that the session expires and
 * the unit moves).
 *
 * <p>At parallelism above 1 the steps that read and hand out batches are {@link LaneSteps}';
 * batches then run beside the mailbox (on lane threads, or asynchronously) and their returns are
 * messages. At parallelism 1 a dead-letter destination changes nothing of the processor's
 * contract: a batch that fails through its attempts is narrowed down to its failing record here,
 * one record at a time, and only that record is dead-lettered. Before revoked, lost or shardEnded the unit
 * stops the lanes and waits for every batch out, so those callbacks still never overlap one.
 *
 * <p>Guarantees: a batch the processor failed on is offered again, never skipped; a checkpoint
 * only ever names a processed record; a fenced checkpoint stops the unit at once as LOST; the
 * processor hears exactly one of revoked, lost or shardEnded.
 */
final class UnitRunner implements UnitWork {

    private static final Logger LOG = LoggerFactory.getLogger(UnitRunner.class);
    private static final Duration LEASE_UNCERTAIN_POLL = Duration.ofMillis(50);
    /** Records of one lane handed to the processor at most at once, at parallelism above 1. */
    private static final int LANE_BATCH = 100;

    private enum Phase { STARTING, READING, FAILED, ENDING, CLOSED }

    /** Which ending the processor heard; it hears one at most. */
    private enum Ending { NONE, REVOKED, LOST, SHARD_ENDED }

    private final UnitContext context;
    private final RecordSource source;
    private final RecordProcessorFactory processors;
    private final Scheduler scheduler;
    private final WorkerSettings settings;
    private final Clock clock;
    private final UnitMetrics metrics;
    private final StalledUnits stalls;
    /** Spreads the retries of failed batches; seeded in tests and simulations. */
    private final RandomGenerator random;
    private final ProgressWatch progress;
    private final Checkpointer checkpointer = new UnitCheckpointer();
    private final UnitCheckpoints checkpoints;
    private final ConcurrentLinkedQueue<Runnable> mailbox = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();

    // Owned by the mailbox: read and written only by its messages, which never run concurrently.
    private Phase phase = Phase.STARTING;
    private boolean paused;
    /** Set once its initialize returned: a processor that never started hears nothing more. */
    private RecordProcessor processor;
    private Ending heard = Ending.NONE;
    private Scheduler.Cancellable nextStep;
    /** The token of the one step that may run next; a step message with another one was called off. */
    private long stepToken;
    private boolean waitingForRecords;
    private Position processed;
    /**
     * The last record the processor may checkpoint: during {@code process}, the end of the batch in
     * hand; otherwise what was processed. A batch that threw is not covered by it.
     */
    private Position handedOver;
    private RecordBatch failedBatch;
    private int failedAttempts;
    /** With dead letters, serially: the rest of a batch that kept failing, offered one record at a time. */
    private final Deque<StreamRecord> singles = new ArrayDeque<>();
    /** Above parallelism 1, or with dead letters: the steps that hand out lanes of records; null otherwise. */
    private final LaneSteps lanes;

    // Owned by the watchdog, whose runs follow one another.
    private boolean stallReported;
    /** Whether a drop of out-of-range KPL user records has been logged at INFO for this unit. */
    private boolean droppedOutsideRangeLogged;

    private UnitRunner(UnitContext context, RecordSource source, RecordProcessorFactory processors,
                       Scheduler scheduler, Executor laneThreads, WorkerSettings settings, Clock clock,
                       UnitMetrics metrics, StalledUnits stalls, RandomGenerator random) {
        this.context = context;
        this.random = random;
        this.source = source;
        this.processors = processors;
        this.scheduler = scheduler;
        this.settings = settings;
        this.clock = clock;
        this.metrics = metrics;
        this.stalls = stalls;
        this.progress = new ProgressWatch(settings.stallAfter(), clock.instant());
        this.checkpoints = new UnitCheckpoints(context, source, metrics, clock);
        this.processed = checkpoints.written();
        this.handedOver = processed;
        this.lanes = settings.usesLanes()
                ? new LaneSteps(new Host(), context, settings, scheduler, laneThreads, clock, random, metrics, progress,
                        new LaneWork(context.unit(), settings.parallelism(), Optional.ofNullable(processed),
                                checkpoints.writtenFinished(), LANE_BATCH, LaneSteps.LANES_PER_RUN))
                : null;
    }

    /**
     * Starts the unit: its first message creates and initializes the processor, on the pool, not
     * on the caller's thread.
     */
    static UnitRunner start(UnitContext context, RecordSource source, RecordProcessorFactory processors,
                            Scheduler scheduler, Executor laneThreads, WorkerSettings settings, Clock clock,
                            UnitMetrics metrics, StalledUnits stalls) {
        return start(context, source, processors, scheduler, laneThreads, settings, clock, metrics, stalls,
                RandomGenerator.getDefault());
    }

    /** Starts the unit with its retries spread by {@code random}. */
    static UnitRunner start(UnitContext context, RecordSource source, RecordProcessorFactory processors,
                            Scheduler scheduler, Executor laneThreads, WorkerSettings settings, Clock clock,
                            UnitMetrics metrics, StalledUnits stalls, RandomGenerator random) {
        UnitRunner unit = new UnitRunner(context, source, processors, scheduler, laneThreads, settings, clock, metrics,
                stalls, random);
        source.onRecordsAvailable(() -> unit.post(unit::recordsArrived));
        unit.post(unit::begin);
        scheduler.schedule(unit::watch, unit.progress.checkEvery());
        return unit;
    }

    /**
     * The watchdog: off the mailbox, so that it sees a unit whose batch never returns. It reports
     * the unit STALLED while records wait and none is processed within the bound, and clears it
     * once the unit moves again or is done.
     */
    private void watch() {
        Optional<String> stalled = progress.stalled(clock.instant());
        if (stalled.isPresent()) {
            stalls.report(context.unit(), stalled.get());
            if (!stallReported) {
                LOG.warn("{} is STALLED: {}", context.unit(), stalled.get());
                stallReported = true;
            }
        } else {
            stalls.clear(context.unit());
            if (stallReported) {
                LOG.info("{} is making progress again", context.unit());
                stallReported = false;
            }
        }
        if (progress.closed()) {
            stalls.clear(context.unit());
            return;
        }
        scheduler.schedule(this::watch, progress.checkEvery());
    }

    // ---- the mailbox -------------------------------------------------------------------------

    /** Adds a message; the first message of an idle mailbox starts a run of it on the pool. Any thread. */
    private void post(Runnable message) {
        mailbox.add(message);
        if (queued.getAndIncrement() == 0) {
            scheduler.execute(this::runMessages);
        }
    }

    private void runMessages() {
        do {
            Runnable message = mailbox.poll();
            try {
                message.run();
            } catch (RuntimeException | Error e) {
                // Every message handles its own failures; this is a bug, and the unit must not stall silently on it.
                LOG.error("{}: unexpected failure", context.unit(), e);
                failUnit("stopped by " + e);
            }
        } while (queued.decrementAndGet() > 0);
    }

    /** The next step after {@code delay}; always through the scheduler, so a busy unit shares the pool fairly. */
    private void scheduleStep(Duration delay, boolean forRecords) {
        cancelStep();
        waitingForRecords = forRecords;
        long token = stepToken;
        nextStep = scheduler.schedule(() -> post(() -> step(token)), delay);
    }

    /**
     * Calls off the next step: its timer, and its message if the timer fired already, whose token
     * no longer matches. So only one chain of steps ever runs, and a retry's backoff holds.
     */
    private void cancelStep() {
        stepToken++;
        if (nextStep != null) {
            nextStep.cancel();
            nextStep = null;
        }
    }

    // ---- messages ----------------------------------------------------------------------------

    private void begin() {
        if (phase != Phase.STARTING) {
            return;
        }
        try {
            RecordProcessor created = processors.create(context.unit());
            if (settings.parallelism().isConcurrent() && !(created instanceof ConcurrentRecordProcessor)) {
                failUnit("processing.parallelism is " + settings.parallelism().parallelism() + " with ordering "
                        + settings.parallelism().ordering().configName() + ", but " + created.getClass().getName()
                        + " does not implement " + ConcurrentRecordProcessor.class.getSimpleName()
                        + ", so it may not be called concurrently");
                return;
            }
            created.initialize(new ProcessorContext(context.unit(), context.worker(),
                    context.claimed().position().filter(Position::isRecordPosition)));
            processor = created;
        } catch (Exception | LinkageError | AssertionError | StackOverflowError e) {
            failUnit("the processor could not start: " + e);
            return;
        }
        phase = Phase.READING;
        scheduleStep(Duration.ZERO, false);
    }

    /** Records arrived while the unit waited for them: step now instead of at the end of the wait. */
    private void recordsArrived() {
        if (phase == Phase.READING && !paused && waitingForRecords) {
            scheduleStep(Duration.ZERO, false);
        }
    }

    private void pauseMessage() {
        paused = true;
        cancelStep();
    }

    private void resumeMessage() {
        paused = false;
        if (phase == Phase.READING) {
            scheduleStep(Duration.ZERO, false);
        }
    }

    private void step(long token) {
        if (token != stepToken) {
            return;
        }
        nextStep = null;
        if (phase != Phase.READING || paused) {
            return;
        }
        try {
            if (lanes != null) {
                lanes.step();
            } else {
                serialStep();
            }
        } catch (OwnershipLostException e) {
            loseUnit(e.getMessage());
        } catch (SourceFailedException e) {
            LOG.error("{} stopped: {}", context.unit(), e.getMessage());
            failUnit(e.getMessage());
        } catch (CheckpointException e) {
            metrics.failed();
            LOG.warn("{}: checkpoint failed, will retry: {}", context.unit(), e.getMessage());
            scheduleStep(Duration.ofSeconds(1), false);
        } catch (RuntimeException e) {
            metrics.failed();
            LOG.warn("{}: reading failed, retrying in 1 s: {}", context.unit(), e.toString());
            scheduleStep(Duration.ofSeconds(1), false);
        } catch (Error e) {
            String reason = "stopped by " + e;
            LOG.error("{} {}", context.unit(), reason, e);
            failUnit(reason);
        }
    }

    private void serialStep() {
        {
            Fetch fetch = null;
            RecordBatch batch = failedBatch;
            if (batch == null) {
                fetch = fetchOrWait();
                if (fetch == null) {
                    return;
                }
                if (!fetch.records().isEmpty()) {
                    batch = new RecordBatch(context.unit(), fetch.records(), fetch.millisBehindLatest(), fetch.offsetLag());
                } else if (failedBatch == null) {
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
                scheduleStep(LEASE_UNCERTAIN_POLL, false);
                return;
            }
            if (batch != null && !process(batch)) {
                return;
            }
            if (batch != null) {
                progress.progressed(clock.instant(),
                        batch.offsetLag().orElse(0) > 0 || batch.millisBehindLatest().orElse(0) > 0);
            }
            checkpointIfDue(false);
            if (phase != Phase.READING) {
                return;
            }
            if (fetch != null && fetch.endOfUnit()) {
                reachedEnd();
                return;
            }
            boolean idle = fetch != null && fetch.records().isEmpty();
            scheduleStep(fetch == null ? Duration.ZERO : source.nextDelay(fetch), idle);
        }
    }

    /** Fetches, timing it; null when the source asked for a pause, after which the next step is scheduled. */
    private Fetch fetchOrWait() {
        long started = System.nanoTime();
        Fetch fetch = source.fetch();
        metrics.fetched(System.nanoTime() - started);
        if (fetch.retryAfter().isPresent()) {
            fetch.failure().ifPresent(reason -> progress.readFailed(clock.instant(), reason));
            scheduleStep(fetch.retryAfter().get(), false);
            return null;
        }
        progress.readSucceeded();
        metrics.lag(fetch.millisBehindLatest(), fetch.offsetLag());
        if (fetch.droppedOutsideRange() > 0) {
            metrics.droppedOutsideRange(fetch.droppedOutsideRange());
            // Once per unit at INFO: after a reshard many batches may carry them; the counter has every one.
            boolean first = !droppedOutsideRangeLogged;
            droppedOutsideRangeLogged = true;
            LOG.atLevel(first ? org.slf4j.event.Level.INFO : org.slf4j.event.Level.DEBUG).log("{}: dropped {} user"
                    + " records of KPL aggregates whose hash keys lie outside the shard's range (they are another shard's"
                    + " since a reshard; KCL drops them too); counted in streamfleet_unit_kpl_dropped_outside_range_total",
                    context.unit(), fetch.droppedOutsideRange());
        }
        return fetch;
    }

    /** Returns true when the batch was processed; otherwise it schedules the retry or stops the unit. */
    private boolean process(RecordBatch batch) {
        handedOver = batch.last().position();
        long started = System.nanoTime();
        try {
            processor.process(batch, checkpointer);
        } catch (OwnershipLostException e) {
            metrics.busy(System.nanoTime() - started);
            handedOver = processed;
            throw e;
        } catch (Exception | LinkageError | AssertionError | StackOverflowError e) {
            // Nothing of this batch counts as processed: no later checkpoint may cover it, revoked's included.
            handedOver = processed;
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
                failUnit("processor failed " + failedAttempts + " times on the batch after "
                        + (processed == null ? "the start" : PositionCodec.encode(processed)) + ": " + e);
                return false;
            }
            Duration delay = settings.processorRetry().delayAfter(failedAttempts, random);
            LOG.warn("{}: processor failed (attempt {}), offering the batch again in {} ms: {}", context.unit(),
                    failedAttempts, delay.toMillis(), e.toString());
            scheduleStep(delay, false);
            return false;
        }
        metrics.busy(System.nanoTime() - started);
        failedBatch = nextSingle();
        failedAttempts = 0;
        processed = batch.last().position();
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
     * Writes the unit's progress when due (or now, with {@code mustWrite}). A fenced write stops the
     * unit as lost; a transient failure is logged and retried by a later call.
     */
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
            scheduleStep(Duration.ZERO, false);
            return false;
        }
        StreamRecord record = batch.records().get(0);
        DeadLetterSink sink = settings.deadLetters().orElseThrow();
        try {
            sink.send(new FailedRecord(record, failedAttempts, cause.toString()));
        } catch (Exception e) {
            failUnit("record " + PositionCodec.encode(record.position()) + " failed " + failedAttempts + " times ("
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

    private void checkpointIfDue(boolean mustWrite) {
        if (finalWrite(mustWrite) == UnitCheckpoints.Outcome.FENCED) {
            loseUnit(checkpoints.fenced().orElse("the checkpoint was fenced"));
        }
    }

    /** The write of what is processed, if due; its outcome, WRITTEN when nothing was due. */
    private UnitCheckpoints.Outcome finalWrite(boolean mustWrite) {
        if (!mustWrite && checkpoints.backingOff()) {
            return UnitCheckpoints.Outcome.RETRY_LATER;
        }
        Instant now = clock.instant();
        if (lanes == null) {
            if (settings.checkpoint().shouldWrite(processed, checkpoints.written(), checkpoints.writtenAt(), now,
                    mustWrite)) {
                return checkpoints.write(processed, FinishedBeyond.NONE);
            }
            return UnitCheckpoints.Outcome.WRITTEN;
        }
        Position watermark = lanes.watermark().filter(Position::isRecordPosition).orElse(null);
        if (watermark == null || !settings.checkpoint().shouldWrite(true, checkpoints.writtenAt(), now, mustWrite)) {
            // Not due: the set of finished records is only worked out when a checkpoint is.
            return UnitCheckpoints.Outcome.WRITTEN;
        }
        FinishedBeyond finished = lanes.finishedBeyond();
        boolean moved = !watermark.equals(checkpoints.written()) || !finished.equals(checkpoints.writtenFinished());
        if (settings.checkpoint().shouldWrite(moved, checkpoints.writtenAt(), now, mustWrite)) {
            return checkpoints.write(watermark, finished);
        }
        return UnitCheckpoints.Outcome.WRITTEN;
    }

    /**
     * The shard was read to its end and every record of it processed: the processor hears
     * shardEnded, once, and then the final checkpoint and the end mark are written, retried on
     * transient failures until they land or the unit is fenced.
     */
    private void reachedEnd() {
        if (phase != Phase.READING) {
            return;
        }
        phase = Phase.ENDING;
        cancelStep();
        Optional<Position> last = lanes == null ? Optional.ofNullable(processed) : lanes.watermark();
        hear(Ending.SHARD_ENDED, p -> p.shardEnded(new ShardEndContext(context.unit(), last), checkpointer));
        finishEnd();
    }

    private void finishEnd() {
        if (phase != Phase.ENDING) {
            return;
        }
        UnitCheckpoints.Outcome outcome = finalWrite(true);
        if (outcome == UnitCheckpoints.Outcome.WRITTEN) {
            outcome = checkpoints.markEnded();
        }
        switch (outcome) {
            case WRITTEN -> {
                close();
                LOG.info("{} read to its end", context.unit());
                context.events().ended();
            }
            case RETRY_LATER -> nextStep = scheduler.schedule(() -> post(this::finishEnd), UnitCheckpoints.RETRY_AFTER);
            case FENCED -> loseUnit(checkpoints.fenced().orElse("fenced at the shard's end"));
            default -> throw new IllegalStateException("unknown outcome " + outcome);
        }
    }

    private void loseUnit(String reason) {
        if (phase == Phase.CLOSED) {
            return;
        }
        if (lanes != null && lanes.hasOut()) {
            // The processor hears lost only once no batch of it is out, never beside one.
            cancelStep();
            lanes.stopThen(() -> loseUnit(reason));
            return;
        }
        close();
        hear(Ending.LOST, p -> p.lost(new LostContext(context.unit(), reason)));
        context.events().lost(reason);
    }

    /** Stops reading; the processor stays, the lease stays, the metrics stay, until a revoke or abandon. */
    private void failUnit(String reason) {
        if (phase == Phase.FAILED || phase == Phase.ENDING || phase == Phase.CLOSED) {
            return;
        }
        metrics.failed();
        phase = Phase.FAILED;
        // FAILED says more than STALLED, and is reported on its own.
        progress.close();
        stalls.clear(context.unit());
        cancelStep();
        source.close();
        context.events().failed(reason);
    }

    /** The last of the unit: no more steps, the source and the metrics released. */
    private void close() {
        phase = Phase.CLOSED;
        progress.close();
        stalls.clear(context.unit());
        cancelStep();
        source.close();
        metrics.remove();
    }

    /** What the processor did with one of its calls. */
    private interface Call {
        void on(RecordProcessor processor) throws Exception;
    }

    /**
     * The terminal step: the processor hears {@code ending}, unless it never started or already
     * heard one. Returns whether the callback returned normally; a callback that throws is logged
     * and counted, like a batch that throws, and the unit ends all the same.
     */
    private boolean hear(Ending ending, Call callback) {
        if (processor == null || heard != Ending.NONE) {
            return false;
        }
        heard = ending;
        try {
            callback.on(processor);
            return true;
        } catch (Exception | LinkageError | AssertionError | StackOverflowError e) {
            metrics.failed();
            LOG.warn("{}: the processor's {} failed: {}", context.unit(), ending.name().toLowerCase(java.util.Locale.ROOT),
                    e.toString());
            return false;
        }
    }

    private void callLost(String reason) {
        hear(Ending.LOST, p -> p.lost(new LostContext(context.unit(), reason)));
    }

    /**
     * The revoke, as the unit takes it: after the batch in hand. Within the deadline the processor
     * hears revoked and the final checkpoint is written; past it, or for a FAILED unit, it hears
     * lost and nothing is written.
     */
    private void revokeMessage(Instant deadline, RevokeReason reason, CompletableFuture<Boolean> done) {
        if (phase == Phase.CLOSED) {
            done.complete(false);
            return;
        }
        if (lanes != null && lanes.hasOut()) {
            // Nothing more is handed out; the revoke is taken once every batch out has returned.
            cancelStep();
            lanes.stopThen(() -> revokeMessage(deadline, reason, done));
            return;
        }
        if (phase == Phase.ENDING) {
            // The processor has heard shardEnded; the end mark was not written yet, so the next owner reads the
            // tail again from the last checkpoint and ends the shard itself.
            close();
            LOG.info("{}: revoked while its end was being written", context.unit());
            done.complete(false);
            return;
        }
        boolean failed = phase == Phase.FAILED;
        close();
        if (failed || processor == null) {
            callLost(failed ? "taken away after it failed" : "taken away before it started");
            done.complete(false);
            return;
        }
        if (clock.instant().isAfter(deadline)) {
            callLost("the batch in hand outlived the revoke's deadline");
            done.complete(false);
            return;
        }
        if (!hear(Ending.REVOKED, p -> p.revoked(new RevokeContext(context.unit(), reason), checkpointer))) {
            LOG.warn("{}: revoked() did not return normally; dropping the unit without a final checkpoint",
                    context.unit());
            done.complete(false);
            return;
        }
        // From here on a store failure changes only what is reported: the processor has had its ending.
        UnitCheckpoints.Outcome outcome = finalWrite(true);
        if (outcome != UnitCheckpoints.Outcome.WRITTEN) {
            LOG.warn("{}: the final checkpoint was not written ({}); the next owner resumes from the last one",
                    context.unit(), checkpoints.fenced().orElse("the store failed"));
        }
        done.complete(outcome == UnitCheckpoints.Outcome.WRITTEN);
    }

    private void abandonMessage(String reason, CompletableFuture<Void> done) {
        if (lanes != null && lanes.hasOut() && phase != Phase.CLOSED) {
            cancelStep();
            lanes.stopThen(() -> abandonMessage(reason, done));
            return;
        }
        if (phase != Phase.CLOSED) {
            close();
            callLost(reason);
        }
        done.complete(null);
    }

    // ---- UnitWork: commands from the lease keeper, from any thread ------------------------------

    @Override
    public void pause() {
        post(this::pauseMessage);
    }

    @Override
    public void resume() {
        post(this::resumeMessage);
    }

    /**
     * Revokes the unit: the future completes, from the unit, with true once the final checkpoint is
     * written, or false when the unit was dropped without one. If the batch in hand outlives the
     * deadline, that is logged; if it outlives {@link WorkerSettings#stuckAfter} more, the worker's
     * stuck handler is told.
     */
    @Override
    public CompletableFuture<Boolean> revoke(Duration timeout, RevokeReason reason) {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        Instant deadline = clock.instant().plus(timeout);
        post(() -> revokeMessage(deadline, reason, done));
        Scheduler.Cancellable overdue = scheduler.schedule(() -> {
            if (!done.isDone()) {
                LOG.warn("{}: the batch in hand did not finish within {} ms of the revoke; the unit will be dropped"
                        + " without a checkpoint once it does", context.unit(), timeout.toMillis());
            }
        }, timeout);
        Scheduler.Cancellable stuck = scheduler.schedule(() -> {
            if (!done.isDone()) {
                settings.onStuck().accept(context.unit() + ": the processor has not returned "
                        + (timeout.plus(settings.stuckAfter())).toSeconds() + " s after the revoke");
            }
        }, timeout.plus(settings.stuckAfter()));
        done.whenComplete((clean, error) -> {
            overdue.cancel();
            stuck.cancel();
        });
        return done;
    }

    /** Stops the unit without a checkpoint; the processor hears lost after the batch in hand, if any. */
    @Override
    public CompletableFuture<Void> abandon(String reason) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        post(() -> abandonMessage(reason, done));
        return done;
    }

    /** What the lane steps may ask of the unit; all of it on the unit's mailbox. */
    private final class Host implements LaneSteps.Host {
        @Override
        public void post(Runnable message) {
            UnitRunner.this.post(message);
        }

        @Override
        public boolean reading() {
            return phase == Phase.READING;
        }

        @Override
        public boolean paused() {
            return paused;
        }

        @Override
        public boolean stepScheduled() {
            return nextStep != null;
        }

        @Override
        public void scheduleStep(Duration delay, boolean forRecords) {
            UnitRunner.this.scheduleStep(delay, forRecords);
        }

        @Override
        public Fetch fetchOrWait() {
            return UnitRunner.this.fetchOrWait();
        }

        @Override
        public Duration nextDelay(Fetch last) {
            return source.nextDelay(last);
        }

        @Override
        public void checkpointIfDue(boolean mustWrite) {
            UnitRunner.this.checkpointIfDue(mustWrite);
        }

        @Override
        public void fail(String reason) {
            failUnit(reason);
        }

        @Override
        public void lose(String reason) {
            loseUnit(reason);
        }

        @Override
        public void end() {
            reachedEnd();
        }

        @Override
        public RecordProcessor processor() {
            return processor;
        }
    }

    /**
     * The processor's own checkpoints, made from inside process, revoked or shardEnded, in the
     * mailbox. A fenced write throws {@link OwnershipLostException} to the processor, and the unit
     * stops after the callback whatever the processor did with it; a transient failure is logged
     * and left to the unit's next write, which covers at least as much.
     */
    private final class UnitCheckpointer implements Checkpointer {
        @Override
        public void checkpoint() {
            if (handedOver != null && !handedOver.equals(checkpoints.written())) {
                outcome(checkpoints.write(handedOver, FinishedBeyond.NONE));
            }
        }

        @Override
        public void checkpoint(Position position) {
            CheckpointRange.check(position, checkpoints.written(), handedOver);
            outcome(checkpoints.write(position, FinishedBeyond.NONE));
        }

        private void outcome(UnitCheckpoints.Outcome outcome) {
            if (outcome == UnitCheckpoints.Outcome.FENCED) {
                throw new OwnershipLostException(checkpoints.fenced().orElse("the checkpoint was fenced"));
            }
        }
    }
}
