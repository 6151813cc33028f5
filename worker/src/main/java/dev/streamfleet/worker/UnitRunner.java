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
import dev.streamfleet.worker.parallel.KeyLanes;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
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
 *                  │  └──▶ ENDED / LOST ─────────────────▶ CLOSED
 *                  └──(revoke)──▶ CLOSED
 * </pre>
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
 * <p>Guarantees: a batch the processor failed on is offered again, never skipped; a checkpoint
 * only ever names a processed record; a fenced checkpoint stops the unit at once as LOST; the
 * processor hears exactly one of revoked, lost or shardEnded.
 */
final class UnitRunner implements UnitWork {

    private static final Logger LOG = LoggerFactory.getLogger(UnitRunner.class);
    private static final Duration LEASE_UNCERTAIN_POLL = Duration.ofMillis(50);
    /** Records of one lane handed to the processor at most at once, at parallelism above 1. */
    private static final int LANE_BATCH = 100;

    private enum Phase { STARTING, READING, FAILED, CLOSED }

    private final UnitContext context;
    private final RecordSource source;
    private final RecordProcessorFactory processors;
    private final Scheduler scheduler;
    private final WorkerSettings settings;
    private final Clock clock;
    private final UnitMetrics metrics;
    private final StalledUnits stalls;
    private final ProgressWatch progress;
    private final Checkpointer checkpointer = new UnitCheckpointer();
    private final ConcurrentLinkedQueue<Runnable> mailbox = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final Executor laneThreads;
    private final Checkpointer laneCheckpointer = new LaneCheckpointer();

    // Owned by the mailbox: read and written only by its messages, which never run concurrently.
    private Phase phase = Phase.STARTING;
    private boolean paused;
    private RecordProcessor processor;
    private Scheduler.Cancellable nextStep;
    private boolean waitingForRecords;
    private Position processed;
    private Position handedOver;
    private Position written;
    private Instant writtenAt;
    private RecordBatch failedBatch;
    private int failedAttempts;
    /** At parallelism above 1: the records between reading and finishing; null otherwise. */
    private final LaneWork lanes;
    private FinishedBeyond writtenFinished = FinishedBeyond.NONE;
    private boolean launchPending;
    private boolean draining;

    // Owned by the watchdog, whose runs follow one another.
    private boolean stallReported;

    private UnitRunner(UnitContext context, RecordSource source, RecordProcessorFactory processors,
                       Scheduler scheduler, Executor laneThreads, WorkerSettings settings, Clock clock,
                       UnitMetrics metrics, StalledUnits stalls) {
        this.context = context;
        this.laneThreads = laneThreads;
        this.source = source;
        this.processors = processors;
        this.scheduler = scheduler;
        this.settings = settings;
        this.clock = clock;
        this.metrics = metrics;
        this.stalls = stalls;
        this.progress = new ProgressWatch(settings.stallAfter(), clock.instant());
        this.written = context.claimed().position().filter(Position::isRecordPosition).orElse(null);
        this.processed = written;
        this.writtenAt = clock.instant();
        this.writtenFinished = context.claimed().finished();
        this.lanes = settings.usesLanes()
                ? new LaneWork(context.unit(), settings.parallelism(), Optional.ofNullable(written), writtenFinished, LANE_BATCH)
                : null;
    }

    /**
     * Starts the unit: its first message creates and initializes the processor, on the pool, not
     * on the caller's thread.
     */
    static UnitRunner start(UnitContext context, RecordSource source, RecordProcessorFactory processors,
                            Scheduler scheduler, Executor laneThreads, WorkerSettings settings, Clock clock,
                            UnitMetrics metrics, StalledUnits stalls) {
        UnitRunner unit = new UnitRunner(context, source, processors, scheduler, laneThreads, settings, clock, metrics,
                stalls);
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
        nextStep = scheduler.schedule(() -> post(this::step), delay);
    }

    private void cancelStep() {
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
            processor = processors.create(context.unit());
            if (settings.parallelism().isConcurrent() && !(processor instanceof ConcurrentRecordProcessor)) {
                failUnit("processing.parallelism is " + settings.parallelism().parallelism() + " with ordering "
                        + settings.parallelism().ordering().configName() + ", but " + processor.getClass().getName()
                        + " does not implement " + ConcurrentRecordProcessor.class.getSimpleName()
                        + ", so it may not be called concurrently");
                return;
            }
            processor.initialize(new ProcessorContext(context.unit(), context.worker(),
                    context.claimed().position().filter(Position::isRecordPosition)));
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

    private void step() {
        nextStep = null;
        if (phase != Phase.READING || paused) {
            return;
        }
        try {
            if (lanes != null) {
                parallelStep();
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
            if (fetch != null && fetch.endOfUnit()) {
                reachedEnd();
                return;
            }
            boolean idle = fetch != null && fetch.records().isEmpty();
            scheduleStep(fetch == null ? Duration.ZERO : source.nextDelay(fetch), idle);
        }
    }

    // ---- parallelism above 1 ---------------------------------------------------------------

    /** Reads while fewer records than the bound are in flight, and hands free lanes their batches. */
    private void parallelStep() {
        if (draining) {
            return;
        }
        if (!lanes.hasRoom()) {
            // The next step comes when a batch returns.
            launch();
            return;
        }
        Fetch fetch = fetchOrWait();
        if (fetch == null) {
            return;
        }
        if (!fetch.records().isEmpty()) {
            lanes.read(fetch.records());
            progress.recordsWaiting();
        } else if (lanes.inFlight() == 0) {
            progress.progressed(clock.instant(), false);
        }
        launch();
        reportLanes();
        checkpointIfDue(false);
        if (fetch.endOfUnit()) {
            lanes.endReached();
            endWhenFinished();
            return;
        }
        if (lanes.hasRoom()) {
            scheduleStep(source.nextDelay(fetch), fetch.records().isEmpty());
        }
    }

    /** Hands batches to the processor while lanes are free and the lease is certain. */
    private void launch() {
        if (phase != Phase.READING || paused || draining) {
            return;
        }
        if (!context.validity().current()) {
            // The lease may have lapsed: hold the records until the session is confirmed again.
            if (!launchPending) {
                launchPending = true;
                scheduler.schedule(() -> post(() -> {
                    launchPending = false;
                    launch();
                }), LEASE_UNCERTAIN_POLL);
            }
            return;
        }
        Optional<KeyLanes.LaneBatch> next;
        while ((next = lanes.next()).isPresent()) {
            handOut(next.get());
        }
    }

    /** Gives one lane's batch to the processor: on a lane thread, or asynchronously; its return is a message. */
    private void handOut(KeyLanes.LaneBatch lane) {
        RecordBatch batch = new RecordBatch(context.unit(), lane.records(), OptionalLong.empty(), OptionalLong.empty());
        if (processor instanceof AsyncRecordProcessor async) {
            CompletionStage<Void> stage;
            try {
                stage = async.processAsync(batch);
            } catch (Exception | LinkageError | AssertionError | StackOverflowError e) {
                stage = CompletableFuture.failedFuture(e);
            }
            stage.whenComplete((ignored, error) -> post(() -> laneReturned(lane, error)));
            return;
        }
        laneThreads.execute(() -> {
            Throwable error = null;
            try {
                processor.process(batch, laneCheckpointer);
            } catch (Exception | LinkageError | AssertionError | StackOverflowError e) {
                error = e;
            }
            Throwable failure = error;
            post(() -> laneReturned(lane, failure));
        });
    }

    private void laneReturned(KeyLanes.LaneBatch lane, Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        boolean reading = phase == Phase.READING;
        if (cause == null) {
            metrics.processed(lane.records());
            finished(lane);
        } else if (reading) {
            int attempts = lanes.failed(lane);
            metrics.retried();
            if (settings.processorRetry().allowsRetryAfter(attempts)) {
                Duration delay = settings.processorRetry().delayAfter(attempts, RandomGenerator.getDefault());
                LOG.warn("{}: processor failed on key '{}' (attempt {}), offering the batch again in {} ms: {}",
                        context.unit(), lane.lane(), attempts, delay.toMillis(), cause.toString());
                lanes.again();
                scheduler.schedule(() -> post(() -> retryLane(lane)), delay);
            } else if (settings.deadLetters().isEmpty()) {
                failUnit("processor failed " + attempts + " times on a batch of key '" + lane.lane() + "' after "
                        + lanes.watermark().map(PositionCodec::encode).orElse("the start") + ": " + cause);
            } else if (lane.records().size() > 1) {
                LOG.warn("{}: processor failed {} times on a batch of key '{}'; offering its {} records one at a time",
                        context.unit(), attempts, lane.lane(), lane.records().size());
                lanes.again();
                handOut(lanes.split(lane));
            } else {
                lanes.again();
                deadLetter(lane, attempts, cause);
            }
        }
        lanes.returned();
        afterReturn();
    }

    /** The batch's records are done with: processed, or dead-lettered. */
    private void finished(KeyLanes.LaneBatch lane) {
        progress.progressed(clock.instant(), lanes.inFlight() > lane.records().size());
        Optional<KeyLanes.LaneBatch> nextSingle = lanes.finished(lane);
        if (nextSingle.isPresent() && phase == Phase.READING && !draining) {
            lanes.again();
            handOut(nextSingle.get());
        }
    }

    /** The unit's next moves once a batch is back: checkpoint when due, hand out more, read on or end. */
    private void afterReturn() {
        reportLanes();
        if (phase != Phase.READING || draining) {
            return;
        }
        try {
            checkpointIfDue(false);
        } catch (OwnershipLostException e) {
            loseUnit(e.getMessage());
            return;
        } catch (CheckpointException e) {
            LOG.warn("{}: checkpoint failed, will retry: {}", context.unit(), e.getMessage());
        }
        launch();
        if (lanes.isEndReached()) {
            endWhenFinished();
            return;
        }
        if (nextStep == null && lanes.hasRoom() && !paused) {
            scheduleStep(Duration.ZERO, false);
        }
    }

    /**
     * Writes a record that failed alone through every attempt to the dead-letter destination, on a
     * lane thread; it counts as finished once the destination has acknowledged it.
     */
    private void deadLetter(KeyLanes.LaneBatch single, int attempts, Throwable cause) {
        DeadLetterSink sink = settings.deadLetters().orElseThrow();
        StreamRecord record = single.records().get(0);
        laneThreads.execute(() -> {
            Exception failure = null;
            try {
                sink.send(new FailedRecord(record, attempts, cause.toString()));
            } catch (Exception e) {
                failure = e;
            }
            Exception sent = failure;
            post(() -> deadLettered(single, record, attempts, cause, sent));
        });
    }

    private void deadLettered(KeyLanes.LaneBatch single, StreamRecord record, int attempts, Throwable cause,
                              Exception failure) {
        if (failure == null) {
            LOG.warn("{}: record {} (key '{}') failed {} times and was written to {}: {}", context.unit(),
                    PositionCodec.encode(record.position()), record.partitionKey(), attempts,
                    settings.deadLetters().orElseThrow().describe(), cause.toString());
            metrics.deadLettered();
            finished(single);
        } else if (phase == Phase.READING) {
            failUnit("record " + PositionCodec.encode(record.position()) + " failed " + attempts + " times ("
                    + cause + ") and could not be written to " + settings.deadLetters().orElseThrow().describe() + ": "
                    + failure);
        }
        lanes.returned();
        afterReturn();
    }

    private void reportLanes() {
        metrics.lanes(new UnitMetricsSnapshot.Lanes(lanes.inFlight(), lanes.busyLanes(), lanes.finishedBeyondCount()));
    }

    /** Offers a failed batch again, unless the unit stopped meanwhile. */
    private void retryLane(KeyLanes.LaneBatch lane) {
        if (phase == Phase.READING && !draining) {
            handOut(lane);
        } else {
            lanes.returned();
        }
    }

    /** At the shard's end: ends the unit once every record of it is finished. */
    private void endWhenFinished() {
        if (lanes.ended()) {
            try {
                reachedEnd();
            } catch (OwnershipLostException e) {
                loseUnit(e.getMessage());
            }
        }
    }

    private void stopHandingOut() {
        draining = true;
        cancelStep();
    }

    /** Fetches, timing it; null when the source asked for a pause, after which the next step is scheduled. */
    private Fetch fetchOrWait() {
        long started = System.nanoTime();
        Fetch fetch = source.fetch();
        metrics.fetched(System.nanoTime() - started);
        if (fetch.retryAfter().isPresent()) {
            scheduleStep(fetch.retryAfter().get(), false);
            return null;
        }
        metrics.lag(fetch.millisBehindLatest(), fetch.offsetLag());
        return fetch;
    }

    /** Returns true when the batch was processed; otherwise it schedules the retry or stops the unit. */
    private boolean process(RecordBatch batch) {
        handedOver = batch.last().position();
        try {
            processor.process(batch, checkpointer);
        } catch (OwnershipLostException e) {
            throw e;
        } catch (Exception | LinkageError | AssertionError | StackOverflowError e) {
            // An Error from user code (a jar built against another version, a failed assertion, runaway
            // recursion) is the processor failing on this batch, like an exception. Running out of memory is
            // not: bin/streamfleet exits the JVM on it, so the units move.
            failedBatch = batch;
            failedAttempts++;
            metrics.retried();
            if (!settings.processorRetry().allowsRetryAfter(failedAttempts)) {
                failUnit("processor failed " + failedAttempts + " times on the batch after "
                        + (processed == null ? "the start" : PositionCodec.encode(processed)) + ": " + e);
                return false;
            }
            Duration delay = settings.processorRetry().delayAfter(failedAttempts, RandomGenerator.getDefault());
            LOG.warn("{}: processor failed (attempt {}), offering the batch again in {} ms: {}", context.unit(),
                    failedAttempts, delay.toMillis(), e.toString());
            scheduleStep(delay, false);
            return false;
        }
        failedBatch = null;
        failedAttempts = 0;
        processed = batch.last().position();
        metrics.processed(batch.records());
        return true;
    }

    private void checkpointIfDue(boolean mustWrite) {
        if (lanes == null) {
            if (settings.checkpoint().shouldWrite(processed, written, writtenAt, clock.instant(), mustWrite)) {
                write(processed, FinishedBeyond.NONE);
            }
            return;
        }
        Position watermark = lanes.watermark().filter(Position::isRecordPosition).orElse(null);
        if (watermark == null || !settings.checkpoint().shouldWrite(true, writtenAt, clock.instant(), mustWrite)) {
            // Not due: the set of finished records is only worked out when a checkpoint is.
            return;
        }
        FinishedBeyond finished = lanes.finishedBeyond();
        boolean moved = !watermark.equals(written) || !finished.equals(writtenFinished);
        if (settings.checkpoint().shouldWrite(moved, writtenAt, clock.instant(), mustWrite)) {
            write(watermark, finished);
        }
    }

    private void write(Position position, FinishedBeyond finished) {
        long started = System.nanoTime();
        context.store().checkpoint(context.unit(), position, finished, context.epoch());
        metrics.checkpointed(System.nanoTime() - started);
        source.checkpointed(position);
        written = position;
        writtenFinished = finished;
        writtenAt = clock.instant();
    }

    private void reachedEnd() {
        processor.shardEnded(new ShardEndContext(context.unit(),
                lanes == null ? Optional.ofNullable(processed) : lanes.watermark()), checkpointer);
        checkpointIfDue(true);
        context.store().markEnded(context.unit(), context.epoch());
        close();
        LOG.info("{} read to its end", context.unit());
        context.events().ended();
    }

    private void loseUnit(String reason) {
        if (lanes != null && lanes.out() > 0 && phase != Phase.CLOSED) {
            // The processor hears lost only once no batch of it is out, never beside one.
            stopHandingOut();
            lanes.whenNoneOut(() -> loseUnit(reason));
            return;
        }
        close();
        callLost(reason);
        context.events().lost(reason);
    }

    /** Stops reading; the processor stays, the lease stays, the metrics stay, until a revoke or abandon. */
    private void failUnit(String reason) {
        if (phase == Phase.FAILED || phase == Phase.CLOSED) {
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

    private void callLost(String reason) {
        if (processor == null) {
            return;
        }
        try {
            processor.lost(new LostContext(context.unit(), reason));
        } catch (RuntimeException | LinkageError | AssertionError | StackOverflowError e) {
            LOG.warn("{}: the processor's lost() failed: {}", context.unit(), e.toString());
        }
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
        if (lanes != null && lanes.out() > 0) {
            // Nothing more is handed out; the revoke is taken once every batch out has returned.
            stopHandingOut();
            lanes.whenNoneOut(() -> revokeMessage(deadline, reason, done));
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
        try {
            processor.revoked(new RevokeContext(context.unit(), reason), checkpointer);
            checkpointIfDue(true);
            done.complete(true);
        } catch (OwnershipLostException e) {
            callLost(e.getMessage());
            done.complete(false);
        } catch (RuntimeException | LinkageError | AssertionError | StackOverflowError e) {
            LOG.warn("{}: revoking failed, dropping the unit without a final checkpoint: {}", context.unit(), e.toString());
            done.complete(false);
        }
    }

    private void abandonMessage(String reason, CompletableFuture<Void> done) {
        if (lanes != null && lanes.out() > 0 && phase != Phase.CLOSED) {
            stopHandingOut();
            lanes.whenNoneOut(() -> abandonMessage(reason, done));
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

    /**
     * The checkpointer of batches processed concurrently: a checkpoint is a request to the unit,
     * which writes what is finished on its own turn.
     */
    private final class LaneCheckpointer implements Checkpointer {
        @Override
        public void checkpoint() {
            post(() -> {
                if (phase == Phase.READING) {
                    checkpointIfDue(true);
                }
            });
        }

        @Override
        public void checkpoint(Position position) {
            throw new UnsupportedOperationException("at processing.parallelism above 1 the worker checkpoints what is"
                    + " finished; call checkpoint() to have it write now");
        }
    }

    /** The processor's own checkpoints, made from inside process, revoked or shardEnded, in the mailbox. */
    private final class UnitCheckpointer implements Checkpointer {
        @Override
        public void checkpoint() {
            if (handedOver != null && !handedOver.equals(written)) {
                write(handedOver, FinishedBeyond.NONE);
            }
        }

        @Override
        public void checkpoint(Position position) {
            CheckpointRange.check(position, written, handedOver);
            write(position, FinishedBeyond.NONE);
        }
    }
}
