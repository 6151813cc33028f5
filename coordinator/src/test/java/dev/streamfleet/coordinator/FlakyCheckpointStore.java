package dev.streamfleet.coordinator;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.CheckpointStoreUnavailableException;
import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A checkpoint store in front of real rows that counts the leader's requests and fails, as an
 * unreachable DynamoDB would, the seeds or reads of chosen units, or every list.
 */
final class FlakyCheckpointStore implements CheckpointStore {

    private final CheckpointStore rows;
    final Set<UnitId> failingSeeds = new HashSet<>();
    final Set<UnitId> failingReads = new HashSet<>();
    boolean failingLists;
    int requests;

    FlakyCheckpointStore(CheckpointStore rows) {
        this.rows = rows;
    }

    private static CheckpointStoreUnavailableException unreachable() {
        return new CheckpointStoreUnavailableException("DynamoDB is unreachable", null);
    }

    @Override
    public String application() {
        return rows.application();
    }

    @Override
    public Checkpoint claim(UnitId unit, Epoch epoch, String owner) {
        requests++;
        return rows.claim(unit, epoch, owner);
    }

    @Override
    public void checkpoint(UnitId unit, Position position, FinishedBeyond finished, Epoch epoch) {
        requests++;
        rows.checkpoint(unit, position, finished, epoch);
    }

    @Override
    public void markEnded(UnitId unit, Epoch epoch) {
        requests++;
        rows.markEnded(unit, epoch);
    }

    @Override
    public Optional<Checkpoint> read(UnitId unit) {
        requests++;
        if (failingReads.contains(unit)) {
            throw unreachable();
        }
        return rows.read(unit);
    }

    @Override
    public List<Checkpoint> list() {
        requests++;
        if (failingLists) {
            throw unreachable();
        }
        return rows.list();
    }

    @Override
    public void reset(UnitId unit, Position position) {
        requests++;
        rows.reset(unit, position);
    }

    @Override
    public boolean seed(UnitId unit, Position start) {
        requests++;
        if (failingSeeds.contains(unit)) {
            throw unreachable();
        }
        return rows.seed(unit, start);
    }

    @Override
    public void clearClaim(UnitId unit) {
        requests++;
        rows.clearClaim(unit);
    }
}
