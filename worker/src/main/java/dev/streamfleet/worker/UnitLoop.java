package dev.streamfleet.worker;

import dev.streamfleet.checkpoint.CheckpointException;
import dev.streamfleet.checkpoint.OwnershipLostException;
import dev.streamfleet.coordinator.UnitContext;
import dev.streamfleet.coordinator.UnitWork;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.PositionCodec;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.random.RandomGenerator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One unit's fetch → process → checkpoint loop. Each step is a task on the worker's shared
 * scheduler, and the next step is scheduled only when the current one ends, so a unit has
 * one step running at a time and a worker with a thousand units needs no thousand threads.
 * A slow processor delays its own unit's next fetch (back-pressure); nothing is buffered
 * beyond the batch in hand.
 *
 * <p>Guarantees: a batch the processor failed on is offered again (never skipped); a checkpoint
 * only ever names a processed record; a fenced checkpoint stops the unit at once as LOST.
 */
final class UnitLoop implements UnitWork {

    private static final Logger LOG = LoggerFactory.getLogger(UnitLoop.class);
    private static final Duration PAUSED_POLL = Duration.ofMillis(50);
    private static final Duration LEASE_UNCERTAIN_POLL = Duration.ofMillis(50);
    private static final Duration ABANDON_WAIT = Duration.ofSeconds(5);

    private final UnitContext context;
    private final RecordSource source;
    private final RecordProcessor processor;
    private final ScheduledExecutorService scheduler;
    private final WorkerSettings settings;
    private final Clock clock;
    private final ReentrantLock stepLock = new ReentrantLock();
    private final Checkpointer checkpointer = new LoopCheckpointer();
    private final UnitMetrics metrics;

    private volatile boolean paused;
    private volatile boolean stopping;
    private ScheduledFuture<?> next;

    // Guarded by stepLock.
    private Position processed;
    private Position handedOver;
    private Position written;
    private Instant writtenAt;
    private RecordBatch failedBatch;
    private int failedAttempts;

    private UnitLoop(UnitContext context, RecordSource source, RecordProcessor processor,
                     ScheduledExecutorService scheduler, WorkerSettings settings, Clock clock, UnitMetrics metrics) {
        this.context = context;
        this.metrics = metrics;
        this.source = source;
        this.processor = processor;
        this.scheduler = scheduler;
        this.settings = settings;
        this.clock = clock;
        this.written = context.claimed().position().filter(Position::isRecordPosition).orElse(null);
        this.processed = written;
        this.writtenAt = clock.instant();
    }

    static UnitLoop start(UnitContext context, RecordSource source, RecordProcessor processor,
                          ScheduledExecutorService scheduler, WorkerSettings settings, Clock clock) {
        return start(context, source, processor, scheduler, settings, clock, UnitMetrics.unregistered(context.unit()));
    }

    static UnitLoop start(UnitContext context, RecordSource source, RecordProcessor processor,
                          ScheduledExecutorService scheduler, WorkerSettings settings, Clock clock, UnitMetrics metrics) {
        UnitLoop loop = new UnitLoop(context, source, processor, scheduler, settings, clock, metrics);
        source.onRecordsAvailable(loop::wake);
        processor.initialize(new ProcessorContext(context.unit(), context.worker(),
                context.claimed().position().filter(Position::isRecordPosition)));
        loop.schedule(Duration.ZERO);
        return loop;
    }

    private synchronized void schedule(Duration delay) {
        if (!stopping) {
            next = scheduler.schedule(this::step, delay.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Records arrived: a step waiting for its idle delay runs now instead. Called from the source's thread. */
    private synchronized void wake() {
        if (!stopping && !paused && next != null && next.getDelay(TimeUnit.MILLISECONDS) > 0 && next.cancel(false)) {
            next = scheduler.schedule(this::step, 0, TimeUnit.MILLISECONDS);
        }
    }

    private void step() {
        stepLock.lock();
        try {
            if (stopping) {
                return;
            }
            if (paused) {
                schedule(PAUSED_POLL);
                return;
            }
            Fetch fetch = null;
            RecordBatch batch = failedBatch;
            if (batch == null) {
                long started = System.nanoTime();
                fetch = source.fetch();
                metrics.fetched(System.nanoTime() - started);
                if (fetch.retryAfter().isPresent()) {
                    schedule(fetch.retryAfter().get());
                    return;
                }
                metrics.lag(fetch.millisBehindLatest(), fetch.offsetLag());
                if (!fetch.records().isEmpty()) {
                    batch = new RecordBatch(context.unit(), fetch.records(), fetch.millisBehindLatest(), fetch.offsetLag());
                }
            }
            if (batch != null && !context.validity().current()) {
                // The lease may have lapsed (the process was frozen, ZooKeeper is silent): hold the
                // batch until the session is confirmed again or the unit is taken away.
                failedBatch = batch;
                schedule(LEASE_UNCERTAIN_POLL);
                return;
            }
            if (batch != null && !process(batch)) {
                return;
            }
            checkpointIfDue(false);
            if (fetch != null && fetch.endOfUnit()) {
                reachedEnd();
                return;
            }
            schedule(fetch == null ? Duration.ZERO : source.nextDelay(fetch));
        } catch (OwnershipLostException e) {
            lose(e.getMessage());
        } catch (SourceFailedException e) {
            LOG.error("{} stopped: {}", context.unit(), e.getMessage());
            fail(e.getMessage());
        } catch (CheckpointException e) {
            metrics.failed();
            LOG.warn("{}: checkpoint failed, will retry: {}", context.unit(), e.getMessage());
            schedule(Duration.ofSeconds(1));
        } catch (RuntimeException e) {
            metrics.failed();
            LOG.warn("{}: reading failed, retrying in 1 s: {}", context.unit(), e.toString());
            schedule(Duration.ofSeconds(1));
        } catch (Error e) {
            // Without this the scheduled step would end in its future, unseen, and the unit would stall with its lease.
            String reason = "stopped by " + e;
            LOG.error("{} {}", context.unit(), reason, e);
            fail(reason);
        } finally {
            stepLock.unlock();
        }
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
                String reason = "processor failed " + failedAttempts + " times on the batch after "
                        + (processed == null ? "the start" : PositionCodec.encode(processed)) + ": " + e;
                fail(reason);
                return false;
            }
            Duration delay = settings.processorRetry().delayAfter(failedAttempts, RandomGenerator.getDefault());
            LOG.warn("{}: processor failed (attempt {}), offering the batch again in {} ms: {}", context.unit(),
                    failedAttempts, delay.toMillis(), e.toString());
            schedule(delay);
            return false;
        }
        failedBatch = null;
        failedAttempts = 0;
        processed = batch.last().position();
        metrics.processed(batch.records());
        return true;
    }

    private void checkpointIfDue(boolean mustWrite) {
        Instant now = clock.instant();
        if (settings.checkpoint().shouldWrite(processed, written, writtenAt, now, mustWrite)) {
            write(processed);
        }
    }

    private void write(Position position) {
        long started = System.nanoTime();
        context.store().checkpoint(context.unit(), position, context.epoch());
        metrics.checkpointed(System.nanoTime() - started);
        source.checkpointed(position);
        written = position;
        writtenAt = clock.instant();
    }

    private void reachedEnd() {
        processor.shardEnded(checkpointer);
        checkpointIfDue(true);
        context.store().markEnded(context.unit(), context.epoch());
        stop();
        LOG.info("{} read to its end", context.unit());
        context.events().ended();
    }

    private void lose(String reason) {
        stop();
        processor.lost();
        context.events().lost(reason);
    }

    private void fail(String reason) {
        metrics.failed();
        // The unit's series stay while it is FAILED, so that it can be seen and alerted on; abandon removes them.
        halt();
        context.events().failed(reason);
    }

    private void stop() {
        halt();
        metrics.remove();
    }

    private synchronized void halt() {
        stopping = true;
        if (next != null) {
            next.cancel(false);
        }
        source.close();
    }

    @Override
    public void pause() {
        paused = true;
    }

    @Override
    public void resume() {
        paused = false;
    }

    @Override
    public boolean drain(Duration timeout) {
        synchronized (this) {
            stopping = true;
            if (next != null) {
                next.cancel(false);
            }
        }
        try {
            if (!stepLock.tryLock(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("{}: the batch in hand did not finish within {} ms; dropping the unit without a checkpoint",
                        context.unit(), timeout.toMillis());
                return false;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        try {
            processor.revoked(checkpointer);
            checkpointIfDue(true);
            return true;
        } catch (OwnershipLostException e) {
            processor.lost();
            return false;
        } finally {
            source.close();
            metrics.remove();
            stepLock.unlock();
        }
    }

    @Override
    public void abandon() {
        synchronized (this) {
            stopping = true;
            if (next != null) {
                next.cancel(false);
            }
        }
        boolean locked = false;
        try {
            locked = stepLock.tryLock(ABANDON_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            processor.lost();
        } finally {
            source.close();
            metrics.remove();
            if (locked) {
                stepLock.unlock();
            }
        }
    }

    /** The processor's own checkpoints, made from inside process/revoked/shardEnded on the step's thread. */
    private final class LoopCheckpointer implements Checkpointer {
        @Override
        public void checkpoint() {
            if (handedOver != null && !handedOver.equals(written)) {
                write(handedOver);
            }
        }

        @Override
        public void checkpoint(Position position) {
            CheckpointRange.check(position, written, handedOver);
            write(position);
        }
    }
}
