package dev.streamfleet.worker.internal.parallel;

import dev.streamfleet.worker.Ordering;
import dev.streamfleet.worker.StreamRecord;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The records of one unit waiting to be processed, in lanes: records of one lane are handed out
 * in stream order, one batch of a lane at a time; different lanes run side by side, at most
 * {@code maxBusy} at once. With {@link Ordering#KEY} a lane is a partition key, with
 * {@link Ordering#UNIT} the whole unit, with {@link Ordering#NONE} every record. Lanes that
 * became ready first run first. Pure; the unit's mailbox owns it.
 */
public final class KeyLanes {

    /** Records of one lane handed out together, with the ordinals to finish them by. */
    public record LaneBatch(String lane, List<Long> ordinals, List<StreamRecord> records) {
    }

    private record Waiting(long ordinal, StreamRecord record) {
    }

    private final Ordering ordering;
    private final int maxBusy;
    private final int batchLimit;
    private final Map<String, Deque<Waiting>> waiting = new HashMap<>();
    private final Deque<String> ready = new ArrayDeque<>();
    private final Set<String> busy = new HashSet<>();
    private int queued;

    public KeyLanes(Ordering ordering, int maxBusy, int batchLimit) {
        if (maxBusy < 1 || batchLimit < 1) {
            throw new IllegalArgumentException("busy lanes and batch limit must be positive");
        }
        this.ordering = ordering;
        this.maxBusy = maxBusy;
        this.batchLimit = batchLimit;
    }

    /** Queues a record read in stream order. */
    public void add(long ordinal, StreamRecord record) {
        String lane = switch (ordering) {
            case KEY -> record.partitionKey();
            case UNIT -> "";
            case NONE -> Long.toString(ordinal);
        };
        Deque<Waiting> lanes = waiting.computeIfAbsent(lane, l -> new ArrayDeque<>());
        if (lanes.isEmpty() && !busy.contains(lane)) {
            ready.add(lane);
        }
        lanes.add(new Waiting(ordinal, record));
        queued++;
    }

    /** The next batch to process, if a lane is ready and fewer than {@code maxBusy} are busy; its lane is busy until {@link #done}. */
    public Optional<LaneBatch> next() {
        if (busy.size() >= maxBusy || ready.isEmpty()) {
            return Optional.empty();
        }
        String lane = ready.poll();
        Deque<Waiting> records = waiting.get(lane);
        List<Long> ordinals = new ArrayList<>();
        List<StreamRecord> batch = new ArrayList<>();
        while (!records.isEmpty() && batch.size() < batchLimit) {
            Waiting next = records.poll();
            ordinals.add(next.ordinal());
            batch.add(next.record());
        }
        queued -= batch.size();
        if (records.isEmpty()) {
            waiting.remove(lane);
        }
        busy.add(lane);
        return Optional.of(new LaneBatch(lane, ordinals, batch));
    }

    /** The lane's batch was processed; the lane's next records may go. */
    public void done(LaneBatch batch) {
        if (!busy.remove(batch.lane())) {
            throw new IllegalStateException("lane '" + batch.lane() + "' was not busy");
        }
        if (waiting.containsKey(batch.lane())) {
            ready.add(batch.lane());
        }
    }

    /** Lanes with a batch being processed now. */
    public int busy() {
        return busy.size();
    }

    /** Lanes with records waiting and no batch out. */
    public int readyLanes() {
        return ready.size();
    }

    /** Records waiting for their lane. */
    public int queued() {
        return queued;
    }
}
