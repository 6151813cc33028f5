package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.checkpoint.CheckpointException;
import dev.streamfleet.checkpoint.OwnershipLostException;
import dev.streamfleet.coordinator.Scheduler;
import dev.streamfleet.coordinator.UnitContext;
import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.MonotonicClock;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.PositionCodec;
import dev.streamfleet.worker.AsyncRecordProcessor;
import dev.streamfleet.worker.Checkpointer;
import dev.streamfleet.worker.DeadLetterSink;
import dev.streamfleet.worker.FailedRecord;
import dev.streamfleet.worker.Fetch;
import dev.streamfleet.worker.RecordBatch;
import dev.streamfleet.worker.RecordProcessor;
import dev.streamfleet.worker.StreamRecord;
import dev.streamfleet.worker.UnitMetricsSnapshot;
import dev.streamfleet.worker.internal.parallel.KeyLanes;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.random.RandomGenerator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a unit processes its records when more than one batch may be out at once (parallelism
 * above 1), or when a failing record may be dead-lettered: it reads while fewer than
 * {@code maxInFlight} records are in flight, hands ready lanes their batches, and takes each
 * run's return as a message of the unit. Every method runs on the unit's mailbox; the unit itself
 * ({@link UnitRunner}) keeps the lifecycle, the checkpoints and the processor's other callbacks,
 * and asks this class to stop handing out before any of them.
 *
 * <p>A <em>run</em> is what one processor thread does in one go: the batches of one or more
 * lanes, one {@code process} call after another. At most {@code parallelism} runs are out at
 * once, so the processor is never called more often than that at the same time. When many lanes
 * are ready, a run takes several of them (an even share, at most {@link #LANES_PER_RUN}): a lane
 * waits as it would for a free thread, and the unit hands out and takes back one message per run
 * rather than per lane, which is most of what dispatching costs when records are many and cheap.
 * An asynchronous processor gets one lane per call.
 */
final class LaneSteps implements UnitSteps {

    /** The most lanes one run takes. */
    static final int LANES_PER_RUN = 16;
    private static final Logger LOG = LoggerFactory.getLogger(LaneSteps.class);
    private static final Duration LEASE_UNCERTAIN_POLL = Duration.ofMillis(50);

    private final Host host;
    private final UnitContext context;
    private final WorkerSettings settings;
    private final Scheduler scheduler;
    private final Executor laneThreads;
    private final MonotonicClock clock;
    private final RandomGenerator random;
    private final UnitMetrics metrics;
    private final ProgressWatch progress;
    private final LaneWork lanes;
    private final Checkpointer laneCheckpointer = new LaneCheckpointer();
    /** Batches out already (retries, single records of a split batch) that wait for a free run. */
    private final Deque<KeyLanes.LaneBatch> waitingForRun = new ArrayDeque<>();
    /** Failed batches that wait for their retry's backoff, with its timer: out too, until retried or called off. */
    private final Map<KeyLanes.LaneBatch, Scheduler.Cancellable> backingOff = new IdentityHashMap<>();
    private int runsOut;
    private boolean launchPending;
    private boolean draining;
    /** Whether the watchdog was told that reading is paused at the span bound. */
    private boolean heldReported;

    LaneSteps(Host host, UnitContext context, WorkerSettings settings, Scheduler scheduler, Executor laneThreads,
              MonotonicClock clock, RandomGenerator random, UnitMetrics metrics, ProgressWatch progress, LaneWork lanes) {
        this.host = host;
        this.context = context;
        this.settings = settings;
        this.scheduler = scheduler;
        this.laneThreads = laneThreads;
        this.clock = clock;
        this.random = random;
        this.metrics = metrics;
        this.progress = progress;
        this.lanes = lanes;
    }

    @Override
    public boolean hasOut() {
        return lanes.out() > 0;
    }

    @Override
    public void stopThen(Runnable action) {
        draining = true;
        while (!waitingForRun.isEmpty()) {
            waitingForRun.poll();
            lanes.returned();
        }
        // A retry waiting for its backoff would hold a revoke until the backoff ends: it is called off, and its
        // records stay unfinished for the next owner.
        List<Scheduler.Cancellable> timers = List.copyOf(backingOff.values());
        backingOff.clear();
        timers.forEach(timer -> {
            timer.cancel();
            lanes.returned();
        });
        lanes.whenNoneOut(action);
    }

    /** The watermark: every record up to it is finished. */
    @Override
    public Optional<Position> processed() {
        return lanes.watermark();
    }

    @Override
    public FinishedBeyond finishedBeyond() {
        return lanes.finishedBeyond();
    }

    /** What is finished: the batches out have their own checkpointer, which asks the unit to write. */
    @Override
    public Optional<Position> handedOver() {
        return lanes.watermark();
    }

    /** Reads while fewer records than the bound are in flight, and hands free lanes their batches. */
    @Override
    public void step() {
        if (draining) {
            return;
        }
        if (!lanes.hasRoom()) {
            // The next step comes when a batch returns.
            launch();
            return;
        }
        if (!context.validity().current()) {
            // The source is not asked for more while the lease may have lapsed: for fan-out a new
            // SubscribeToShard would take the shard back from the unit's next owner.
            host.scheduleStep(LEASE_UNCERTAIN_POLL, false);
            return;
        }
        Fetch fetch = host.fetchOrWait();
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
        host.checkpointIfDue(false);
        if (fetch.endOfUnit()) {
            lanes.endReached();
            endWhenFinished();
            return;
        }
        if (lanes.hasRoom()) {
            host.scheduleStep(host.nextDelay(fetch), fetch.records().isEmpty());
        }
    }

    /** Hands runs to the processor while fewer than {@code parallelism} are out and the lease is certain. */
    private void launch() {
        if (!host.reading() || host.paused() || draining) {
            return;
        }
        if (!context.validity().current()) {
            // The lease may have lapsed: hold the records until the session is confirmed again.
            if (!launchPending) {
                launchPending = true;
                scheduler.schedule(() -> host.post(() -> {
                    launchPending = false;
                    launch();
                }), LEASE_UNCERTAIN_POLL);
            }
            return;
        }
        boolean async = host.processor() instanceof AsyncRecordProcessor;
        while (runsOut < settings.parallelism().parallelism()) {
            List<KeyLanes.LaneBatch> run = nextRun(async);
            if (run.isEmpty()) {
                return;
            }
            handOut(run);
        }
    }

    /** A waiting retry or single record first; otherwise an even share of the ready lanes. */
    private List<KeyLanes.LaneBatch> nextRun(boolean async) {
        if (!waitingForRun.isEmpty()) {
            return List.of(waitingForRun.poll());
        }
        int parallelism = settings.parallelism().parallelism();
        int size = async ? 1 : Math.min(LANES_PER_RUN, Math.max(1, (lanes.readyLanes() + parallelism - 1) / parallelism));
        List<KeyLanes.LaneBatch> run = new ArrayList<>(size);
        Optional<KeyLanes.LaneBatch> next;
        while (run.size() < size && (next = lanes.next()).isPresent()) {
            run.add(next.get());
        }
        return run;
    }

    /** Gives one run to the processor: on a lane thread, or asynchronously; its return is one message. */
    private void handOut(List<KeyLanes.LaneBatch> run) {
        runsOut++;
        RecordProcessor processor = host.processor();
        if (processor instanceof AsyncRecordProcessor async) {
            KeyLanes.LaneBatch lane = run.get(0);
            CompletionStage<Void> stage;
            try {
                stage = async.processAsync(batchOf(lane));
            } catch (Exception | LinkageError | AssertionError | StackOverflowError e) {
                stage = CompletableFuture.failedFuture(e);
            }
            long started = System.nanoTime();
            stage.whenComplete((ignored, error) -> {
                long busy = System.nanoTime() - started;
                host.post(() -> runReturned(run, new Throwable[] {error}, 1, busy));
            });
            return;
        }
        laneThreads.execute(() -> {
            long started = System.nanoTime();
            Throwable[] errors = new Throwable[run.size()];
            // The lease is checked before each batch: a run may wait for a thread, and its batches follow one
            // another, while the worker freezes past its session (a pause, a slow batch). What was not started
            // goes back unprocessed, to be handed out once the session is confirmed again, or to the next owner.
            int done = 0;
            while (done < run.size() && context.validity().current()) {
                try {
                    processor.process(batchOf(run.get(done)), laneCheckpointer);
                } catch (Exception | LinkageError | AssertionError | StackOverflowError e) {
                    errors[done] = e;
                }
                done++;
            }
            long busy = System.nanoTime() - started;
            int processed = done;
            host.post(() -> runReturned(run, errors, processed, busy));
        });
    }

    private RecordBatch batchOf(KeyLanes.LaneBatch lane) {
        return new RecordBatch(context.unit(), lane.records(), OptionalLong.empty(), OptionalLong.empty());
    }

    /**
     * A run is back: each of its first {@code started} lanes is finished, offered again or
     * dead-lettered; the others were not started and wait for the next run, as a retry does,
     * without counting an attempt. Then the unit moves on.
     */
    private void runReturned(List<KeyLanes.LaneBatch> run, Throwable[] errors, int started, long busyNanos) {
        runsOut--;
        metrics.busy(busyNanos);
        for (int i = 0; i < run.size(); i++) {
            if (i < started) {
                laneReturned(run.get(i), errors[i]);
            } else {
                awaitRun(run.get(i));
            }
        }
        afterReturn();
    }

    private void laneReturned(KeyLanes.LaneBatch lane, Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        boolean reading = host.reading();
        if (cause == null) {
            metrics.processed(lane.records());
            finished(lane);
        } else if (reading && !draining) {
            // While the unit stops, a failed batch is not offered again: its records stay unfinished for the next
            // owner, and the stop does not wait for a retry's backoff.
            int attempts = lanes.failed(lane);
            metrics.retried();
            if (settings.processorRetry().allowsRetryAfter(attempts)) {
                Duration delay = settings.processorRetry().delayAfter(attempts, random);
                LOG.warn("{}: processor failed on key '{}' (attempt {}), offering the batch again in {} ms: {}",
                        context.unit(), lane.lane(), attempts, delay.toMillis(), cause.toString());
                lanes.again();
                backingOff.put(lane, scheduler.schedule(() -> host.post(() -> retryLane(lane)), delay));
            } else if (settings.deadLetters().isEmpty()) {
                host.fail("processor failed " + attempts + " times on a batch of key '" + lane.lane() + "' after "
                        + lanes.watermark().map(PositionCodec::encode).orElse("the start") + ": " + cause);
            } else if (lane.records().size() > 1) {
                LOG.warn("{}: processor failed {} times on a batch of key '{}'; offering its {} records one at a time",
                        context.unit(), attempts, lane.lane(), lane.records().size());
                lanes.again();
                awaitRun(lanes.split(lane));
            } else {
                lanes.again();
                deadLetter(lane, attempts, cause);
            }
        }
        lanes.returned();
    }

    /** The batch's records are done with: processed, or dead-lettered. */
    private void finished(KeyLanes.LaneBatch lane) {
        progress.progressed(clock.instant(), lanes.inFlight() > lane.records().size());
        Optional<KeyLanes.LaneBatch> nextSingle = lanes.finished(lane);
        if (nextSingle.isPresent() && host.reading() && !draining) {
            lanes.again();
            awaitRun(nextSingle.get());
        }
    }

    /** The unit's next moves once a batch is back: checkpoint when due, hand out more, read on or end. */
    private void afterReturn() {
        reportLanes();
        if (!host.reading() || draining) {
            return;
        }
        try {
            host.checkpointIfDue(false);
        } catch (OwnershipLostException e) {
            host.lose(e.getMessage());
            return;
        } catch (CheckpointException e) {
            LOG.warn("{}: checkpoint failed, will retry: {}", context.unit(), e.getMessage());
        }
        launch();
        if (lanes.isEndReached()) {
            endWhenFinished();
            return;
        }
        if (!host.stepScheduled() && lanes.hasRoom() && !host.paused()) {
            host.scheduleStep(Duration.ZERO, false);
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
            host.post(() -> deadLettered(single, record, attempts, cause, sent));
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
        } else if (host.reading()) {
            host.fail("record " + PositionCodec.encode(record.position()) + " failed " + attempts + " times ("
                    + cause + ") and could not be written to " + settings.deadLetters().orElseThrow().describe() + ": "
                    + failure);
        }
        lanes.returned();
        afterReturn();
    }

    private void reportLanes() {
        metrics.lanes(new UnitMetricsSnapshot.Lanes(lanes.inFlight(), lanes.busyLanes(), lanes.finishedBeyondCount()));
        boolean full = lanes.spanFull();
        if (full && !heldReported) {
            // Said once, when reading pauses: the key named is the one that holds the watermark then.
            progress.held(clock.instant(), "key '" + lanes.holdingKey().orElse("?") + "' holds the watermark at "
                    + lanes.watermark().map(PositionCodec::encode).orElse("the start") + ": "
                    + lanes.finishedBeyondCount() + " records finished behind it wait, and reading is paused at "
                    + settings.parallelism().maxSpan() + " (10 x processing.maxInFlight)");
            heldReported = true;
        } else if (!full && heldReported) {
            progress.released();
            heldReported = false;
        }
    }

    /** Offers a failed batch again when a run is free, unless the unit stopped meanwhile. */
    private void retryLane(KeyLanes.LaneBatch lane) {
        if (backingOff.remove(lane) == null) {
            // Called off by a stop, which counted it back already.
            return;
        }
        awaitRun(lane);
        launch();
    }

    /** A batch that is out already waits for the next free run; once the unit stops handing out, it is dropped. */
    private void awaitRun(KeyLanes.LaneBatch lane) {
        if (host.reading() && !draining) {
            waitingForRun.add(lane);
        } else {
            lanes.returned();
        }
    }

    /** At the shard's end: ends the unit once every record of it is finished. */
    private void endWhenFinished() {
        if (lanes.ended()) {
            try {
                host.end();
            } catch (OwnershipLostException e) {
                host.lose(e.getMessage());
            }
        }
    }

    /**
     * The checkpointer of batches processed concurrently: a checkpoint is a request to the unit,
     * which writes what is finished on its own turn.
     */
    private final class LaneCheckpointer implements Checkpointer {
        @Override
        public void checkpoint() {
            host.post(() -> {
                if (host.reading()) {
                    host.checkpointIfDue(true);
                }
            });
        }

        @Override
        public void checkpoint(Position position) {
            throw new UnsupportedOperationException("at processing.parallelism above 1 the worker checkpoints what is"
                    + " finished; call checkpoint() to have it write now");
        }
    }
}
