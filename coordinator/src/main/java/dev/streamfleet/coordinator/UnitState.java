package dev.streamfleet.coordinator;

import dev.streamfleet.core.PublicApi;
import java.util.EnumSet;
import java.util.Set;

/**
 * The life of one unit on one worker.
 *
 * <pre>
 *                 claim ok                revoked                 final checkpoint, lease deleted
 *   CLAIMING ─────────────────▶ READING ────────────▶ DRAINING ─────────────────────────────▶ RELEASED
 *      │                       │  ▲   │                   │
 *      │ revoked before        │  │   │ shard end          │ drain timed out, or a write was fenced
 *      │ the claim finished    ▼  │   ▼                   ▼
 *      │               PAUSED ─┘   ENDED                 LOST
 *      ▼          (ZooKeeper SUSPENDED;
 *   RELEASED       resumes on RECONNECTED)
 *
 *   Any live state ──(session LOST, or a fenced write)──▶ LOST
 *   READING / PAUSED ──(processor kept failing)──▶ FAILED ──(revoked)──▶ RELEASED
 *   CLAIMING ──(the checkpoint row is quarantined: this build does not trust it)──▶ FAILED
 *   PAUSED ──(shard end, marked in the store before the connection was suspended)──▶ ENDED
 * </pre>
 *
 * RELEASED, LOST and ENDED are terminal: the unit's runner is done on this worker. FAILED is
 * not: the worker keeps the lease, so nobody reads past the failing records, until the unit
 * is revoked or the session ends.
 */
@PublicApi
public enum UnitState {

    /** The lease znode is being created and the checkpoint row claimed; nothing is read yet. */
    CLAIMING,
    /** Fetching, processing and checkpointing. */
    READING,
    /** ZooKeeper is SUSPENDED: fetching stops until the connection returns or the session is lost. */
    PAUSED,
    /** Revoked: the batch in hand is finished and a final checkpoint written, within a bounded time. */
    DRAINING,
    /** Handed over cleanly: final checkpoint written, lease deleted. */
    RELEASED,
    /** Dropped without a checkpoint: another worker may own the unit already. */
    LOST,
    /** Read to its end and marked ENDED in the checkpoint store. */
    ENDED,
    /**
     * The processor failed on a batch through every retry, or the unit's checkpoint row is quarantined
     * (it does not parse, or a newer build wrote it); the unit is stopped, its lease kept, nothing skipped.
     */
    FAILED;

    private Set<UnitState> previous() {
        return switch (this) {
            case CLAIMING -> EnumSet.noneOf(UnitState.class);
            case READING -> EnumSet.of(CLAIMING, PAUSED);
            case PAUSED -> EnumSet.of(READING);
            case DRAINING -> EnumSet.of(READING, PAUSED);
            case RELEASED -> EnumSet.of(CLAIMING, DRAINING, FAILED);
            case LOST -> EnumSet.of(CLAIMING, READING, PAUSED, DRAINING, FAILED);
            case ENDED -> EnumSet.of(READING, PAUSED);
            case FAILED -> EnumSet.of(CLAIMING, READING, PAUSED);
        };
    }

    public boolean isTerminal() {
        return this == RELEASED || this == LOST || this == ENDED;
    }

    /** Returns {@code next} when the move from this state is valid; throws otherwise. */
    public UnitState transitionTo(UnitState next) {
        if (!next.previous().contains(this)) {
            throw new IllegalStateException(String.format("Invalid state transition from %s to %s", this, next));
        }
        return next;
    }
}
