package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.PositionCodec;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.Parallelism;
import dev.streamfleet.worker.SourceFailedException;
import dev.streamfleet.worker.StreamRecord;
import dev.streamfleet.worker.internal.parallel.KeyLanes;
import dev.streamfleet.worker.internal.parallel.ProgressTracker;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A unit's records between reading and finishing, at parallelism above 1: which lane each waits
 * in, which batches are out with the processor, how often each failed, and the progress a
 * checkpoint stores. Owned by the unit's mailbox, like everything of {@link UnitRunner}.
 */
final class LaneWork {

    private static final Logger LOG = LoggerFactory.getLogger(LaneWork.class);

    private final UnitId unit;
    private final Parallelism parallelism;
    private final ProgressTracker tracker;
    private final KeyLanes lanes;
    private final Map<KeyLanes.LaneBatch, Integer> failures = new IdentityHashMap<>();
    /** A batch split into single records after it kept failing: the singles not processed yet, by the batch. */
    private final Map<KeyLanes.LaneBatch, Deque<KeyLanes.LaneBatch>> singles = new IdentityHashMap<>();
    private final Map<KeyLanes.LaneBatch, KeyLanes.LaneBatch> splitFrom = new IdentityHashMap<>();
    private int out;
    /** Bytes of the records in flight, as {@link Parallelism#maxInFlightBytes} counts them. */
    private long bytesInFlight;
    private boolean endReached;
    private final List<Runnable> whenNoneOut = new ArrayList<>();

    /**
     * @param lanesPerCall how many lanes' batches one processor thread may take in a row (the
     *                     lanes out at once are at most this many times the parallelism)
     */
    LaneWork(UnitId unit, Parallelism parallelism, Optional<Position> resumedFrom, FinishedBeyond resumedFinished,
             int batchLimit, int lanesPerCall) {
        this.unit = unit;
        this.parallelism = parallelism;
        this.tracker = new ProgressTracker(unit.kind(), resumedFrom, resumedFinished);
        this.lanes = new KeyLanes(parallelism.ordering(), parallelism.parallelism() * lanesPerCall, batchLimit);
    }

    /** Whether reading may go on: fewer records and bytes in flight than the bounds, and a span below its bound. */
    boolean hasRoom() {
        return tracker.inFlight() < parallelism.maxInFlight() && bytesInFlight < parallelism.maxInFlightBytes()
                && !spanFull();
    }

    /** Whether reading pauses because the records kept after the watermark reached their bound. */
    boolean spanFull() {
        return tracker.span() >= parallelism.maxSpan();
    }

    /** The key whose unfinished record holds the watermark, if one does. */
    Optional<String> holdingKey() {
        return tracker.holdingKey();
    }

    static long sizeOf(StreamRecord record) {
        return record.data().length + (record.key() == null ? 0 : record.key().length) + Parallelism.RECORD_OVERHEAD;
    }

    /**
     * Queues records read in stream order; those the resumed checkpoint recorded as finished are
     * skipped. A fetch that goes back behind what was read already (a Kafka log truncated under the
     * unit) is refused whole, before any of it is queued: the unit stops as FAILED, naming both
     * offsets, so that no record of it is left out while the watermark moves past it.
     *
     * @throws SourceFailedException when the fetch goes back
     */
    void read(List<StreamRecord> records) {
        long previous = tracker.highestDispatched();
        for (StreamRecord record : records) {
            if (record.position() instanceof Position.Offset offset && offset.nextOffset() - 1 <= previous) {
                throw new SourceFailedException("the source went back to " + PositionCodec.encode(record.position())
                        + " after offset " + previous + " had been read (was the log truncated?); at"
                        + " processing.parallelism above 1 the unit stops rather than skip a record: move it to"
                        + " another worker, which resumes from the last checkpoint");
            }
            previous = record.position() instanceof Position.Offset offset ? offset.nextOffset() - 1 : previous;
        }
        boolean trustedBefore = tracker.ignoredResumedSet().isEmpty();
        for (StreamRecord record : records) {
            long ordinal = tracker.dispatch(record.position(), record.partitionKey());
            if (ordinal >= 0) {
                lanes.add(ordinal, record);
                bytesInFlight += sizeOf(record);
            }
        }
        if (trustedBefore) {
            tracker.ignoredResumedSet().ifPresent(why -> LOG.warn("{}: {}", unit, why));
        }
    }

    /** The next batch to hand to the processor, if a lane is free; it counts as out until {@link #returned}. */
    Optional<KeyLanes.LaneBatch> next() {
        Optional<KeyLanes.LaneBatch> next = lanes.next();
        next.ifPresent(batch -> out++);
        return next;
    }

    /** A batch handed out before and failed, handed out again. */
    void again() {
        out++;
    }

    /** A batch came back from the processor, processed or not; runs a waiting revoke once none is out. */
    void returned() {
        out--;
        if (out == 0 && !whenNoneOut.isEmpty()) {
            List<Runnable> waiting = List.copyOf(whenNoneOut);
            whenNoneOut.clear();
            waiting.forEach(Runnable::run);
        }
    }

    /**
     * The batch was processed (or its record dead-lettered): its records are finished. Returns the
     * next single record of a split batch to hand out, if any; otherwise the lane may go on.
     */
    Optional<KeyLanes.LaneBatch> finished(KeyLanes.LaneBatch batch) {
        batch.ordinals().forEach(tracker::finish);
        batch.records().forEach(record -> bytesInFlight -= sizeOf(record));
        failures.remove(batch);
        KeyLanes.LaneBatch whole = splitFrom.remove(batch);
        if (whole == null) {
            lanes.done(batch);
            return Optional.empty();
        }
        KeyLanes.LaneBatch next = singles.get(whole).poll();
        if (next == null) {
            singles.remove(whole);
            lanes.done(whole);
            return Optional.empty();
        }
        splitFrom.put(next, whole);
        return Optional.of(next);
    }

    /**
     * A batch of several records kept failing: its records are offered one at a time, in order,
     * each with attempts of its own, so that only a record that fails alone is dead-lettered.
     * Returns the first; the lane stays busy until the last is finished.
     */
    KeyLanes.LaneBatch split(KeyLanes.LaneBatch batch) {
        failures.remove(batch);
        Deque<KeyLanes.LaneBatch> one = new ArrayDeque<>();
        for (int i = 0; i < batch.records().size(); i++) {
            one.add(new KeyLanes.LaneBatch(batch.lane(), List.of(batch.ordinals().get(i)), List.of(batch.records().get(i))));
        }
        KeyLanes.LaneBatch first = one.poll();
        singles.put(batch, one);
        splitFrom.put(first, batch);
        return first;
    }

    /** The batch failed once more; returns how often it has failed. Its lane stays busy until it is processed. */
    int failed(KeyLanes.LaneBatch batch) {
        return failures.merge(batch, 1, Integer::sum);
    }

    /** Batches with the processor now. */
    int out() {
        return out;
    }

    int inFlight() {
        return tracker.inFlight();
    }

    int busyLanes() {
        return lanes.busy();
    }

    int readyLanes() {
        return lanes.readyLanes();
    }

    /** Runs {@code action} once no batch is out: at once if none is. */
    void whenNoneOut(Runnable action) {
        if (out == 0) {
            action.run();
        } else {
            whenNoneOut.add(action);
        }
    }

    void endReached() {
        endReached = true;
    }

    /** The shard was read to its end and every record of it is finished. */
    boolean ended() {
        return endReached && tracker.inFlight() == 0;
    }

    boolean isEndReached() {
        return endReached;
    }

    Optional<Position> watermark() {
        return tracker.watermark();
    }

    FinishedBeyond finishedBeyond() {
        return tracker.finishedBeyond();
    }

    long finishedBeyondCount() {
        return tracker.finishedBeyondCount();
    }
}
