package dev.streamfleet.checkpoint.internal.memory;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointRules;
import dev.streamfleet.checkpoint.CheckpointState;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.QuarantinedRowException;
import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** One application's rows of an {@link InMemoryCheckpointTable}; each write is atomic per unit. */
final class InMemoryCheckpointStore implements CheckpointStore {

    private final String application;
    private final Map<String, Checkpoint> rows;
    private final Clock clock;

    InMemoryCheckpointStore(String application, Map<String, Checkpoint> rows, Clock clock) {
        this.application = application;
        this.rows = rows;
        this.clock = clock;
    }

    @Override
    public String application() {
        return application;
    }

    @Override
    public Checkpoint claim(UnitId unit, Epoch epoch, String owner) {
        return rows.compute(unit.toString(), (key, stored) -> {
            CheckpointRules.checkClaim(unit, trusted(stored), epoch);
            return new Checkpoint(unit, stored == null ? Optional.empty() : stored.position(), Optional.of(epoch),
                    Optional.of(owner), stored == null ? CheckpointState.ACTIVE : stored.state(), clock.instant(),
                    stored == null ? FinishedBeyond.NONE : stored.finished());
        });
    }

    @Override
    public void checkpoint(UnitId unit, Position position, FinishedBeyond finished, Epoch epoch) {
        rows.compute(unit.toString(), (key, stored) -> {
            CheckpointRules.checkCheckpoint(unit, trusted(stored), position, finished, epoch);
            return new Checkpoint(unit, Optional.of(position), stored.epoch(), stored.owner(), stored.state(), clock.instant(),
                    finished);
        });
    }

    @Override
    public void markEnded(UnitId unit, Epoch epoch) {
        rows.compute(unit.toString(), (key, stored) -> {
            CheckpointRules.checkMarkEnded(unit, trusted(stored), epoch);
            return new Checkpoint(unit, stored.position(), stored.epoch(), stored.owner(), CheckpointState.ENDED,
                    clock.instant(), stored.finished());
        });
    }

    @Override
    public Optional<Checkpoint> read(UnitId unit) {
        return Optional.ofNullable(rows.get(unit.toString()));
    }

    @Override
    public List<Checkpoint> list() {
        return rows.values().stream().sorted(Comparator.comparing(Checkpoint::unit)).toList();
    }

    @Override
    public void reset(UnitId unit, Position position) {
        rows.compute(unit.toString(), (key, stored) -> {
            CheckpointRules.checkReset(unit, Optional.ofNullable(stored), position);
            if (stored == null) {
                return new Checkpoint(unit, Optional.of(position), Optional.empty(), Optional.empty(),
                        CheckpointState.ACTIVE, clock.instant());
            }
            return new Checkpoint(unit, Optional.of(position), Optional.empty(), Optional.empty(), CheckpointState.ACTIVE,
                    clock.instant());
        });
    }

    @Override
    public boolean seed(UnitId unit, Position start) {
        CheckpointRules.checkSeed(unit, start);
        Checkpoint row = new Checkpoint(unit, Optional.of(start), Optional.empty(), Optional.empty(), CheckpointState.ACTIVE,
                clock.instant());
        return rows.putIfAbsent(unit.toString(), row) == null;
    }

    @Override
    public void clearClaim(UnitId unit) {
        rows.computeIfPresent(unit.toString(), (key, stored) -> stored.isQuarantined() ? stored
                : new Checkpoint(unit, stored.position(), Optional.empty(), Optional.empty(), stored.state(), clock.instant(),
                        stored.finished()));
    }

    /** Stands for a row that the DynamoDB store would not trust; see {@link InMemoryCheckpointTable#quarantine}. */
    void quarantine(UnitId unit, String reason) {
        rows.put(unit.toString(), Checkpoint.quarantined(unit, clock.instant(), reason));
    }

    /** As the DynamoDB store does, a row it does not trust is neither claimed nor written. */
    private static Optional<Checkpoint> trusted(Checkpoint stored) {
        if (stored != null && stored.isQuarantined()) {
            throw new QuarantinedRowException(stored.unit(), stored.quarantined().get());
        }
        return Optional.ofNullable(stored);
    }
}
