package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.checkpoint.CheckpointException;
import dev.streamfleet.checkpoint.OwnershipLostException;
import dev.streamfleet.coordinator.RevokeReason;
import dev.streamfleet.coordinator.Scheduler;
import dev.streamfleet.coordinator.UnitContext;
import dev.streamfleet.coordinator.UnitWork;
import dev.streamfleet.core.MonotonicClock;
import dev.streamfleet.core.Position;
import dev.streamfleet.worker.Checkpointer;
import dev.streamfleet.worker.Fetch;
import dev.streamfleet.worker.ProcessorContext;
import dev.streamfleet.worker.RecordProcessor;
import dev.streamfleet.worker.RecordProcessorFactory;
import dev.streamfleet.worker.RecordSource;
import dev.streamfleet.worker.SourceFailedException;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
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
 * <p>The processor's ending is one terminal step ({@link UnitProcessor}): it hears exactly one of
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
final class UnitRunner implements UnitWork, UnitSteps.Host {

    private static final Logger LOG = LoggerFactory.getLogger(UnitRunner.class);
    /** Records of one lane handed to the processor at most at once, at parallelism above 1. */
    private static final int LANE_BATCH = 100;

    private enum Phase { STARTING, READING, FAILED, ENDING, CLOSED }

    private final UnitContext context;
    private final RecordSource source;
    private final RecordProcessorFactory processors;
    /** How often a revoke whose session was not confirmed lately looks again, until its deadline. */
    private static final Duration UNCONFIRMED_REVOKE_POLL = Duration.ofMillis(50);
    /** How often a shard's ending looks again whether the lease is confirmed. */
    private static final Duration LEASE_UNCERTAIN_POLL = Duration.ofMillis(50);

    private final Scheduler scheduler;
    private final WorkerSettings settings;
    private final MonotonicClock clock;
    private final UnitMetrics metrics;
    private final StalledUnits stalls;
    /** Spreads the retries of failed batches; seeded in tests and simulations. */
    private final RandomGenerator random;
    private final ProgressWatch progress;
    private final UnitCheckpoints checkpoints;
    private final Checkpointer checkpointer;
    private final UnitMailbox mailbox;
    private final UnitReads reads;
    private final UnitProcessor processor;

    // Owned by the mailbox: read and written only by its messages, which never run concurrently.
    private Phase phase = Phase.STARTING;
    private boolean paused;
    /** The next try at writing the shard's end, while ENDING. */
    private Scheduler.Cancellable endRetry;
    /** How the unit's records reach the processor: serially, or in lanes above parallelism 1. */
    private final UnitSteps steps;

    private UnitRunner(UnitContext context, RecordSource source, RecordProcessorFactory processors,
                       Scheduler scheduler, Executor laneThreads, WorkerSettings settings, MonotonicClock clock,
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
        this.checkpoints = new UnitCheckpoints(context, source, metrics, stalls, clock);
        this.mailbox = new UnitMailbox(scheduler, this::step, this::unexpected);
        this.reads = new UnitReads(context.unit(), source, metrics, progress, stalls, clock);
        this.processor = new UnitProcessor(context.unit(), metrics);
        this.steps = settings.usesLanes()
                ? new LaneSteps(this, context, settings, scheduler, laneThreads, clock, random, metrics, progress,
                        new LaneWork(context.unit(), settings.parallelism(), Optional.ofNullable(checkpoints.written()),
                                checkpoints.writtenFinished(), LANE_BATCH, LaneSteps.LANES_PER_RUN))
                : new SerialSteps(this, context, settings, clock, random, metrics, progress, checkpoints);
        this.checkpointer = new ProcessorCheckpointer(checkpoints, steps::handedOver);
    }

    /**
     * Starts the unit: its first message creates and initializes the processor, on the pool, not
     * on the caller's thread.
     */
    static UnitRunner start(UnitContext context, RecordSource source, RecordProcessorFactory processors,
                            Scheduler scheduler, Executor laneThreads, WorkerSettings settings, MonotonicClock clock,
                            UnitMetrics metrics, StalledUnits stalls) {
        return start(context, source, processors, scheduler, laneThreads, settings, clock, metrics, stalls,
                RandomGenerator.getDefault());
    }

    /** Starts the unit with its retries spread by {@code random}. */
    static UnitRunner start(UnitContext context, RecordSource source, RecordProcessorFactory processors,
                            Scheduler scheduler, Executor laneThreads, WorkerSettings settings, MonotonicClock clock,
                            UnitMetrics metrics, StalledUnits stalls, RandomGenerator random) {
        UnitRunner unit = new UnitRunner(context, source, processors, scheduler, laneThreads, settings, clock, metrics,
                stalls, random);
        source.onRecordsAvailable(() -> unit.post(unit::recordsArrived));
        unit.post(unit::begin);
        StallWatchdog.start(context.unit(), unit.progress, stalls, clock, scheduler);
        return unit;
    }

    /** A message threw: a bug, and the unit must not stall silently on it. */
    private void unexpected(Throwable e) {
        LOG.error("{}: unexpected failure", context.unit(), e);
        stopFailed("stopped by " + e);
    }

    // ---- messages ----------------------------------------------------------------------------

    private void begin() {
        if (phase != Phase.STARTING) {
            return;
        }
        Optional<String> refused = processor.start(processors, settings.parallelism(), new ProcessorContext(
                context.unit(), context.worker(), context.claimed().position().filter(Position::isRecordPosition)));
        if (refused.isPresent()) {
            stopFailed(refused.get());
            return;
        }
        phase = Phase.READING;
        mailbox.scheduleStep(Duration.ZERO, false);
    }

    /** Records arrived while the unit waited for them: step now instead of at the end of the wait. */
    private void recordsArrived() {
        if (phase == Phase.READING && !paused && mailbox.waitingForRecords()) {
            mailbox.scheduleStep(Duration.ZERO, false);
        }
    }

    private void pauseMessage() {
        paused = true;
        mailbox.cancelStep();
    }

    private void resumeMessage() {
        paused = false;
        if (phase == Phase.READING) {
            mailbox.scheduleStep(Duration.ZERO, false);
        }
    }

    private void step() {
        if (phase != Phase.READING || paused) {
            return;
        }
        try {
            steps.step();
        } catch (OwnershipLostException e) {
            lose(e.getMessage());
        } catch (SourceFailedException e) {
            LOG.error("{} stopped: {}", context.unit(), e.getMessage());
            // Nothing is written: what the source handed over may not be what the positions name any more.
            stopFailed(e.getMessage());
        } catch (CheckpointException e) {
            metrics.failed();
            LOG.warn("{}: checkpoint failed, will retry: {}", context.unit(), e.getMessage());
            mailbox.scheduleStep(Duration.ofSeconds(1), false);
        } catch (RuntimeException e) {
            metrics.failed();
            LOG.warn("{}: reading failed, retrying in 1 s: {}", context.unit(), e.toString());
            mailbox.scheduleStep(Duration.ofSeconds(1), false);
        } catch (Error e) {
            String reason = "stopped by " + e;
            LOG.error("{} {}", context.unit(), reason, e);
            stopFailed(reason);
        }
    }

    /** Fetches; null when the source asked for a pause, after which the next step is scheduled. */
    @Override
    public Fetch fetchOrWait() {
        Fetch fetch = reads.fetch();
        if (fetch.retryAfter().isPresent()) {
            // A source that fails for long (a run of refused subscriptions, a throttled stream) holds
            // back no checkpoint of what was processed before it began failing.
            checkpointIfDue(false);
            if (reading()) {
                mailbox.scheduleStep(fetch.retryAfter().get(), false);
            }
            return null;
        }
        return fetch;
    }

    /**
     * Writes the unit's progress when due (or now, with {@code mustWrite}). A fenced write stops the
     * unit as lost; a transient failure is logged and retried by a later call.
     */
    @Override
    public void checkpointIfDue(boolean mustWrite) {
        if (finalWrite(mustWrite) == UnitCheckpoints.Outcome.FENCED) {
            lose(checkpoints.fenced().orElse("the checkpoint was fenced"));
        }
    }

    /** The write of what is processed, if due; its outcome, WRITTEN when nothing was due. */
    private UnitCheckpoints.Outcome finalWrite(boolean mustWrite) {
        return checkpoints.writeIfDue(steps, settings.checkpoint(), mustWrite);
    }

    /**
     * The shard was read to its end and every record of it processed: the processor hears
     * shardEnded, once, and then the final checkpoint and the end mark are written, retried on
     * transient failures until they land or the unit is fenced.
     */
    @Override
    public void end() {
        if (phase != Phase.READING) {
            return;
        }
        if (paused || !context.validity().current()) {
            // The lease may have lapsed since the last fetch (the process froze, a checkpoint write was
            // slow), or ZooKeeper is out of reach: shardEnded waits until the session is confirmed again
            // and the unit resumed, or the unit is taken away. One wait at a time: a step that reaches
            // the end again meanwhile joins it.
            if (endRetry == null) {
                endRetry = scheduler.schedule(() -> post(this::endAfterWaiting), LEASE_UNCERTAIN_POLL);
            }
            return;
        }
        phase = Phase.ENDING;
        mailbox.cancelStep();
        processor.shardEnded(steps.processed(), checkpointer);
        finishEnd();
    }

    private void endAfterWaiting() {
        endRetry = null;
        end();
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
            // Its own timer: a pause (ZooKeeper suspended) stops reading, not the writes that end the shard.
            case RETRY_LATER -> endRetry = scheduler.schedule(() -> post(this::finishEnd), UnitCheckpoints.RETRY_AFTER);
            case FENCED -> lose(checkpoints.fenced().orElse("fenced at the shard's end"));
            default -> throw new IllegalStateException("unknown outcome " + outcome);
        }
    }

    @Override
    public void lose(String reason) {
        if (phase == Phase.CLOSED) {
            return;
        }
        if (steps.hasOut()) {
            // The processor hears lost only once no batch of it is out, never beside one.
            source.release();
            mailbox.cancelStep();
            steps.stopThen(() -> lose(reason));
            return;
        }
        close();
        processor.lost(reason);
        context.events().lost(reason);
    }

    /**
     * The processor gave up on records (its retries spent, or their dead letter refused): what is
     * finished is written first, so that the unit's next owner does not process it again, and
     * then the unit stops as {@link #stopFailed} does.
     */
    @Override
    public void fail(String reason) {
        if (phase == Phase.READING && finalWrite(true) == UnitCheckpoints.Outcome.FENCED) {
            // Another owner holds the row (or it became one this build does not write): that is what stops the unit.
            lose(checkpoints.fenced().orElse("the checkpoint was fenced"));
            return;
        }
        stopFailed(reason);
    }

    /** Stops reading; the processor stays, the lease stays, the metrics stay, until a revoke or abandon. */
    private void stopFailed(String reason) {
        if (phase == Phase.FAILED || phase == Phase.ENDING || phase == Phase.CLOSED) {
            return;
        }
        metrics.failed();
        phase = Phase.FAILED;
        // FAILED says more than STALLED, and is reported on its own.
        progress.close();
        stalls.clear(context.unit());
        stalls.readRecovered(context.unit());
        stalls.checkpointRecovered(context.unit());
        mailbox.cancelStep();
        source.close();
        context.events().failed(reason);
    }

    /** The last of the unit: no more steps, the source and the metrics released. */
    private void close() {
        phase = Phase.CLOSED;
        progress.close();
        stalls.clear(context.unit());
        stalls.closed(context.unit());
        stalls.readRecovered(context.unit());
        stalls.checkpointRecovered(context.unit());
        mailbox.cancelStep();
        if (endRetry != null) {
            endRetry.cancel();
            endRetry = null;
        }
        source.close();
        metrics.remove();
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
        if (steps.hasOut()) {
            // Nothing more is handed out; the revoke is taken once every batch out has returned.
            mailbox.cancelStep();
            steps.stopThen(() -> revokeMessage(deadline, reason, done));
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
        if (!failed && processor.started() && !context.validity().current() && !clock.instant().isAfter(deadline)) {
            // Not confirmed lately: a healthy worker whose last confirmation is a moment old (a slow answer, a
            // ZooKeeper blip) waits for the next one, so that its graceful move still writes its final checkpoint;
            // a worker whose session is gone hears lost() through the keeper meanwhile, or at the deadline below.
            mailbox.cancelStep();
            scheduler.schedule(() -> post(() -> revokeMessage(deadline, reason, done)), UNCONFIRMED_REVOKE_POLL);
            return;
        }
        close();
        if (failed || !processor.started()) {
            processor.lost(failed ? "taken away after it failed" : "taken away before it started");
            done.complete(false);
            return;
        }
        if (!context.validity().current()) {
            // Not confirmed again by the deadline (a worker thawed after a freeze past its session, told to leave
            // before it hears that the session expired): another worker may read the unit already, as lost() says.
            LOG.warn("{}: revoked, but the session was not confirmed again before the revoke's deadline; the lease may"
                    + " have lapsed, so the processor hears lost() and no final checkpoint is written", context.unit());
            processor.lost("the lease may have lapsed: the session was not confirmed before the revoke's deadline");
            done.complete(false);
            return;
        }
        if (clock.instant().isAfter(deadline)) {
            processor.lost("the batch in hand outlived the revoke's deadline");
            done.complete(false);
            return;
        }
        if (!processor.revoked(reason, checkpointer)) {
            LOG.warn("{}: revoked() did not return normally; dropping the unit without a final checkpoint",
                    context.unit());
            done.complete(false);
            return;
        }
        // From here on a store failure changes only what is reported: the processor has had its ending.
        UnitCheckpoints.Outcome outcome = finalWrite(true);
        // The unit is no longer this worker's: a failed final write is logged below, not left on the status.
        stalls.checkpointRecovered(context.unit());
        if (outcome != UnitCheckpoints.Outcome.WRITTEN) {
            LOG.warn("{}: the final checkpoint was not written ({}); the next owner resumes from the last one",
                    context.unit(), checkpoints.fenced().orElse("the store failed"));
        }
        done.complete(outcome == UnitCheckpoints.Outcome.WRITTEN);
    }

    private void abandonMessage(String reason, CompletableFuture<Void> done) {
        if (steps.hasOut() && phase != Phase.CLOSED) {
            mailbox.cancelStep();
            steps.stopThen(() -> abandonMessage(reason, done));
            return;
        }
        if (phase != Phase.CLOSED) {
            close();
            processor.lost(reason);
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
        // Reading stops now, not after the batch in hand: the next owner's reads must not wait for it.
        source.release();
        post(() -> revokeMessage(deadline, reason, done));
        RevokeDeadline.watch(context.unit(), scheduler, done, timeout, settings.stuckAfter(), settings.onStuck());
        return done;
    }

    /**
     * Stops the unit without a checkpoint; the processor hears lost after the batch in hand, if any.
     * A batch that outlives {@link WorkerSettings#stuckAfter} is the worker's stuck handler's.
     */
    @Override
    public CompletableFuture<Void> abandon(String reason) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        source.release();
        post(() -> abandonMessage(reason, done));
        RevokeDeadline.watchAbandon(context.unit(), scheduler, done, settings.stuckAfter(), settings.onStuck());
        return done;
    }

    // ---- UnitSteps.Host: what the steps ask of the unit, on its mailbox ----------------------

    @Override
    public void post(Runnable message) {
        mailbox.post(message);
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
        return mailbox.stepScheduled();
    }

    @Override
    public void scheduleStep(Duration delay, boolean forRecords) {
        mailbox.scheduleStep(delay, forRecords);
    }

    @Override
    public Duration nextDelay(Fetch last) {
        return source.nextDelay(last);
    }

    @Override
    public RecordProcessor processor() {
        return processor.get();
    }

    @Override
    public Checkpointer checkpointer() {
        return checkpointer;
    }
}
