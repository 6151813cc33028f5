package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The units of a worker that are in trouble, with why: STALLED (written by their watchdogs);
 * retrying a failed read of their source (written by their reads, from the first failure until a
 * read succeeds, so that a wait is on the page before it is long enough to stall); and retrying
 * their checkpoint (written by their checkpoint writer: a write that failed, until one succeeds,
 * and a write that has not returned for {@link #SLOW_CHECKPOINT}, since the store out of reach
 * holds the unit's thread inside that write for as long as the store's own retries last). Besides,
 * the reads of a unit that skipped records the stream no longer retained (written by their reads;
 * kept while the unit runs here: records nobody can process any more are not a state that passes).
 * Read by the status endpoints.
 */
public final class StalledUnits {

    /** How long a checkpoint write may take before the status says that it has not returned. */
    static final Duration SLOW_CHECKPOINT = Duration.ofSeconds(2);

    /** A unit's checkpoint in trouble: a write in flight since when, if one is; the last failure, if any. */
    private record CheckpointTrouble(Instant writingSince, String lastFailure) {
    }

    private final Map<UnitId, String> stalled = new ConcurrentHashMap<>();
    private final Map<UnitId, String> retrying = new ConcurrentHashMap<>();
    private final Map<UnitId, CheckpointTrouble> checkpoints = new ConcurrentHashMap<>();
    private final Map<UnitId, RetentionSkips> retentionSkips = new ConcurrentHashMap<>();

    /** How many reads of a unit skipped records no longer retained, and why the last one did. */
    private record RetentionSkips(long reads, String last) {
        @Override
        public String toString() {
            return reads + (reads == 1 ? " read" : " reads") + " skipped records no longer retained; the last: " + last;
        }
    }

    void report(UnitId unit, String reason) {
        stalled.put(unit, reason);
    }

    void clear(UnitId unit) {
        stalled.remove(unit);
    }

    /** The unit's reads fail, the last for {@code reason}; it tries again. */
    void retrying(UnitId unit, String reason) {
        retrying.put(unit, reason);
    }

    /** The unit's read succeeded, or the unit is done here. */
    void readRecovered(UnitId unit) {
        retrying.remove(unit);
    }

    /** A read of the unit skipped records the stream no longer retains, for {@code reason}. */
    void retentionSkipped(UnitId unit, String reason) {
        retentionSkips.merge(unit, new RetentionSkips(1, reason),
                (before, now) -> new RetentionSkips(before.reads() + 1, reason));
    }

    /** The unit is done on this worker: what its reads skipped stays in the log and the counter. */
    void closed(UnitId unit) {
        retentionSkips.remove(unit);
    }

    /** The unit's thread is about to write its checkpoint (or end mark) at {@code now}. */
    void checkpointWriting(UnitId unit, Instant now) {
        checkpoints.compute(unit, (u, trouble) -> new CheckpointTrouble(now, trouble == null ? null : trouble.lastFailure()));
    }

    /** The write failed for {@code reason}; a later one will try again. */
    void checkpointFailed(UnitId unit, String reason) {
        checkpoints.put(unit, new CheckpointTrouble(null, reason));
    }

    /** The write landed or was answered (fenced counts: the unit stops on its own), or the unit is done here. */
    void checkpointRecovered(UnitId unit) {
        checkpoints.remove(unit);
    }

    /**
     * The units whose reads or checkpoint writes fail now, or whose checkpoint write has not
     * returned for {@link #SLOW_CHECKPOINT} at {@code now}, each with the last failure.
     */
    public Map<UnitId, String> retryingSnapshot(Instant now) {
        Map<UnitId, String> snapshot = new HashMap<>(retrying);
        checkpoints.forEach((unit, trouble) -> checkpointReason(trouble, now).ifPresent(reason ->
                snapshot.merge(unit, reason, (read, checkpoint) -> read + "; " + checkpoint)));
        return Map.copyOf(snapshot);
    }

    private static Optional<String> checkpointReason(CheckpointTrouble trouble, Instant now) {
        String last = trouble.lastFailure() == null ? "" : "; last failure: " + trouble.lastFailure();
        if (trouble.writingSince() != null) {
            Duration writing = Duration.between(trouble.writingSince(), now);
            return writing.compareTo(SLOW_CHECKPOINT) < 0 && trouble.lastFailure() == null ? Optional.empty()
                    : Optional.of("checkpoint write not answered for " + writing.toSeconds() + " s" + last);
        }
        return Optional.of("checkpoint write failed, will retry" + last);
    }

    /** The units running here whose reads skipped records no longer retained, each with how often and the last reason. */
    public Map<UnitId, String> retentionSkipsSnapshot() {
        Map<UnitId, String> snapshot = new HashMap<>();
        retentionSkips.forEach((unit, skips) -> snapshot.put(unit, skips.toString()));
        return Map.copyOf(snapshot);
    }

    /** The stalled units now, with their reasons. */
    public Map<UnitId, String> snapshot() {
        return Map.copyOf(stalled);
    }
}
