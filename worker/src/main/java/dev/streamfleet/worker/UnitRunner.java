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
import java.util.Optional;
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
 * <p>At parallelism above 1, or with a dead-letter destination, the steps that read and hand out
 * batches are {@link LaneSteps}'; batches then run beside the mailbox (on lane threads, or
 * asynchronously) and their returns are messages. Before revoked, lost or shardEnded the unit
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
    /** Above parallelism 1, or with dead letters: the steps that hand out lanes of records; null otherwise. */
    private final LaneSteps lanes;
    private FinishedBeyond writtenFinished = FinishedBeyond.NONE;

    // Owned by the watchdog, whose runs follow one another.
    private boolean stallReported;
    /** Whether a drop of out-of-range KPL user records has been logged at INFO for this unit. */
    private boolean droppedOutsideRangeLogged;

    private UnitRunner(UnitContext context, RecordSource source, RecordProcessorFactory processors,
                       Scheduler scheduler, Executor laneThreads, WorkerSettings settings, Clock clock,
                       UnitMetrics metrics, StalledUnits stalls) {
        this.context = context;
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
                ? new LaneSteps(new Host(), context, settings, scheduler, laneThreads, clock, metrics, progress,
                        new LaneWork(context.unit(), settings.parallelism(), Optional.ofNullable(written), writtenFinished,
                                LANE_BATCH, LaneSteps.LANES_PER_RUN))
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
            throw e;
        } catch (Exception | LinkageError | AssertionError | StackOverflowError e) {
            // An Error from user code (a jar built against another version, a failed assertion, runaway
            // recursion) is the processor failing on this batch, like an exception. Running out of memory is
            // not: bin/streamfleet exits the JVM on it, so the units move.
            metrics.busy(System.nanoTime() - started);
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
        metrics.busy(System.nanoTime() - started);
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
        if (lanes != null && lanes.hasOut() && phase != Phase.CLOSED) {
            // The processor hears lost only once no batch of it is out, never beside one.
            cancelStep();
            lanes.stopThen(() -> loseUnit(reason));
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
        if (lanes != null && lanes.hasOut()) {
            // Nothing more is handed out; the revoke is taken once every batch out has returned.
            cancelStep();
            lanes.stopThen(() -> revokeMessage(deadline, reason, done));
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
