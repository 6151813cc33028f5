package dev.streamfleet.checkpoint.internal.memory;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointRules;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.core.UnitId;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A checkpoint table in memory with the same semantics as the DynamoDB one, for tests of the
 * logic above it. Several applications share one table, each seeing only its own rows.
 */
public final class InMemoryCheckpointTable {

    private final Clock clock;
    private final Map<String, Map<String, Checkpoint>> rowsByApplication = new ConcurrentHashMap<>();

    public InMemoryCheckpointTable(Clock clock) {
        this.clock = clock;
    }

    public InMemoryCheckpointTable() {
        this(Clock.systemUTC());
    }

    /** The store of one application. */
    public CheckpointStore store(String application) {
        return inMemory(application);
    }

    /**
     * Replaces the unit's row with one this build would not trust, as a row edited by hand or
     * written by a newer build is in DynamoDB: its claims fail with {@code reason}, and its
     * listing shows it quarantined.
     */
    public void quarantine(String application, UnitId unit, String reason) {
        inMemory(application).quarantine(unit, reason);
    }

    private InMemoryCheckpointStore inMemory(String application) {
        CheckpointRules.requireApplication(application);
        return new InMemoryCheckpointStore(application,
                rowsByApplication.computeIfAbsent(application, a -> new ConcurrentHashMap<>()), clock);
    }
}
