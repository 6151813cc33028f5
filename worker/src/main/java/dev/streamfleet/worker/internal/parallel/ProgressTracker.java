package dev.streamfleet.worker.internal.parallel;

import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.PositionCodec;
import dev.streamfleet.core.SourceKind;

import java.util.Optional;

/**
 * A unit's progress when its records finish out of order: the watermark (every record up to it
 * is finished) and the records finished beyond it, which together are what a checkpoint stores.
 * Also the other way round: given the checkpoint a unit resumes from, which records read again
 * were finished already and must not be processed twice.
 *
 * <p>Records are named by an ordinal that is the same on every read: a Kafka record's offset, or
 * a Kinesis record's index among the records read after the watermark it resumed from. Pure; the
 * unit's mailbox owns it.
 */
public final class ProgressTracker {

    private final boolean byOffset;
    /** What the resumed checkpoint recorded as finished; dropped when the records read are not those it counted. */
    private FinishedBeyond resumedFinished;
    /** Why the resumed set was dropped, once it was. */
    private String ignoredResumed;
    /** The ordinal that {@link #resumedFinished}'s ordinal 0 names; unknown for Kafka until the first record. */
    private long resumedBase;
    private boolean resumedBaseKnown;
    private Position watermark;
    /** The ordinal of the first record after the watermark. */
    private long base;
    private long nextIndex;
    private long highestDispatched = -1;
    /** Dispatched records after the watermark, in ordinal order: the first is never finished. */
    private final Beyond beyond = new Beyond();
    private int inFlight;
    /** Entries of {@link #beyond} that are finished. */
    private long finishedBeyondCount;

    private static final class Entry {
        final long ordinal;
        final Position position;
        final String key;
        boolean finished;

        Entry(long ordinal, Position position, String key, boolean finished) {
            this.ordinal = ordinal;
            this.position = position;
            this.key = key;
            this.finished = finished;
        }
    }

    /**
     * The entries after the watermark in a ring, oldest first. Ordinals only grow, so an entry is
     * found by its distance from the first (Kinesis indexes and most Kafka offsets have no gaps)
     * or else by binary search: no boxing and no tree node per record.
     */
    private static final class Beyond {
        private Entry[] ring = new Entry[64];
        private int head;
        private int size;

        boolean isEmpty() {
            return size == 0;
        }

        Entry first() {
            return size == 0 ? null : ring[head];
        }

        Entry get(int index) {
            return ring[(head + index) & (ring.length - 1)];
        }

        void add(Entry entry) {
            if (size == ring.length) {
                Entry[] bigger = new Entry[ring.length * 2];
                for (int i = 0; i < size; i++) {
                    bigger[i] = get(i);
                }
                ring = bigger;
                head = 0;
            }
            ring[(head + size) & (ring.length - 1)] = entry;
            size++;
        }

        void removeFirst() {
            ring[head] = null;
            head = (head + 1) & (ring.length - 1);
            size--;
        }

        Entry find(long ordinal) {
            if (size == 0) {
                return null;
            }
            long distance = ordinal - ring[head].ordinal;
            if (distance >= 0 && distance < size && get((int) distance).ordinal == ordinal) {
                return get((int) distance);
            }
            int low = 0;
            int high = size - 1;
            while (low <= high) {
                int middle = (low + high) >>> 1;
                long found = get(middle).ordinal;
                if (found < ordinal) {
                    low = middle + 1;
                } else if (found > ordinal) {
                    high = middle - 1;
                } else {
                    return get(middle);
                }
            }
            return null;
        }

        int size() {
            return size;
        }
    }

    /**
     * @param kind            the unit's source
     * @param resumedFrom     the checkpointed watermark the unit resumes after, if it is a record position
     * @param resumedFinished the records the checkpoint recorded as finished beyond it; for a Kinesis unit
     *                        without a watermark, beyond the starting point it is read from
     */
    public ProgressTracker(SourceKind kind, Optional<Position> resumedFrom, FinishedBeyond resumedFinished) {
        this.byOffset = kind == SourceKind.KAFKA;
        this.resumedFinished = resumedFinished;
        this.watermark = resumedFrom.filter(Position::isRecordPosition).orElse(null);
        if (watermark == null && !resumedFinished.isEmpty() && byOffset) {
            // A Kinesis set may count from the starting point the unit was read from; a Kafka set always has an offset.
            throw new IllegalArgumentException("finished records beyond a watermark that is not a record position");
        }
        if (watermark instanceof Position.Offset offset) {
            base = offset.nextOffset();
            resumedBase = base;
            resumedBaseKnown = true;
        } else if (!byOffset) {
            resumedBaseKnown = true;
        }
    }

    /** The highest Kafka offset dispatched so far, or -1. */
    public long highestDispatched() {
        return highestDispatched;
    }

    /**
     * A record read in stream order.
     *
     * @return its ordinal, to {@link #finish} it by; negative when the checkpoint recorded it as
     *     finished already, so it must not be processed again
     */
    public long dispatch(Position position) {
        return dispatch(position, "");
    }

    /**
     * A record read in stream order, with the key of its lane, so that a key holding the
     * watermark can be named.
     *
     * @return its ordinal, as {@link #dispatch(Position)}
     */
    public long dispatch(Position position, String key) {
        if (!byOffset && nextIndex == 0 && !resumedFinished.isEmpty()
                && !resumedFinished.first().map(position::equals).orElse(false)) {
            // Kinesis ordinals count records after the watermark: they name the records the set
            // means only if the first one read is the one it was counted from.
            ignoredResumed = "the first record read after the watermark is " + PositionCodec.encode(position)
                    + ", not " + resumedFinished.first().map(PositionCodec::encode).orElse("the one the set names")
                    + " (trimmed away, or another shard's records): the " + resumedFinished.count()
                    + " records the checkpoint recorded as finished beyond it are processed again";
            resumedFinished = FinishedBeyond.NONE;
        }
        long ordinal = byOffset ? ((Position.Offset) position).nextOffset() - 1 : nextIndex++;
        if (byOffset && watermark == null && beyond.isEmpty()) {
            // Nothing before the first record read belongs to this unit's work.
            watermark = new Position.Offset(ordinal);
            base = ordinal;
            resumedBase = ordinal;
            resumedBaseKnown = true;
        }
        if (ordinal <= highestDispatched) {
            throw new IllegalStateException("records must be dispatched in stream order: " + ordinal + " after "
                    + highestDispatched);
        }
        highestDispatched = ordinal;
        boolean done = resumedBaseKnown && ordinal >= resumedBase && resumedFinished.contains(ordinal - resumedBase);
        beyond.add(new Entry(ordinal, position, key, done));
        if (done) {
            finishedBeyondCount++;
            advance();
            return -1;
        }
        inFlight++;
        return ordinal;
    }

    /**
     * Why the records the resumed checkpoint recorded as finished are processed again after all,
     * if they are: the first record read was not the one the set was counted from.
     */
    public Optional<String> ignoredResumedSet() {
        return Optional.ofNullable(ignoredResumed);
    }

    /** The record with this ordinal is finished. */
    public void finish(long ordinal) {
        Entry entry = beyond.find(ordinal);
        if (entry == null || entry.finished) {
            throw new IllegalStateException("record " + ordinal + " is not in flight");
        }
        entry.finished = true;
        inFlight--;
        finishedBeyondCount++;
        advance();
    }

    private void advance() {
        Entry first;
        while ((first = beyond.first()) != null && first.finished) {
            watermark = first.position;
            base = first.ordinal + 1;
            beyond.removeFirst();
            finishedBeyondCount--;
        }
    }

    /** Records after the watermark that the tracker keeps: in flight, or finished behind one that is not. */
    public int span() {
        return beyond.size();
    }

    /** The key of the first record after the watermark, which holds it while not finished; empty when none waits. */
    public Optional<String> holdingKey() {
        Entry first = beyond.first();
        return first == null ? Optional.empty() : Optional.of(first.key);
    }

    /** Records dispatched and not finished yet. */
    public int inFlight() {
        return inFlight;
    }

    /** How many records read on this worker are finished beyond the watermark; cheap, unlike {@link #finishedBeyond}. */
    public long finishedBeyondCount() {
        return finishedBeyondCount;
    }

    /** The last record such that it and every record before it are finished; empty until there is one. */
    public Optional<Position> watermark() {
        return Optional.ofNullable(watermark);
    }

    /**
     * The records finished beyond the watermark, by their ordinal after it; the ones the resumed
     * checkpoint recorded and that were not read again yet are kept.
     */
    public FinishedBeyond finishedBeyond() {
        FinishedBeyond.Builder builder = new FinishedBeyond.Builder();
        for (int i = 0; i < beyond.size(); i++) {
            Entry entry = beyond.get(i);
            if (entry.finished) {
                builder.add(entry.ordinal - base);
            }
        }
        if (resumedBaseKnown && !resumedFinished.isEmpty()) {
            // The resumed records not read again yet, range by range (never ordinal by ordinal).
            long from = Math.max(Math.max(highestDispatched + 1, base) - resumedBase, 0);
            resumedFinished.forEachRange((start, end) -> {
                long kept = Math.max(start, from);
                if (kept < end) {
                    builder.add(resumedBase + kept - base, resumedBase + end - base);
                }
            });
        }
        FinishedBeyond finished = builder.build();
        if (byOffset || finished.isEmpty()) {
            return finished;
        }
        // A Kinesis set names the record its ordinal 0 stands for: the first after the watermark,
        // when it was read; the resumed one, when nothing was read since. Otherwise it is unknown,
        // and the set is not stored: the records after the watermark are processed again.
        Entry first = beyond.first();
        if (first != null) {
            return finished.anchoredAt(first.position);
        }
        return base == resumedBase ? resumedFinished.first().map(finished::anchoredAt).orElse(FinishedBeyond.NONE)
                : FinishedBeyond.NONE;
    }
}
