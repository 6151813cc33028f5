package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.CheckpointStoreUnavailableException;
import dev.streamfleet.checkpoint.OwnershipLostException;
import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * A store in front of a real one whose writes (checkpoints and end marks) fail as scripted: the
 * next writes may be refused as unavailable (a transient failure, nothing written) or fenced
 * (another owner claimed the row), then writes pass through again.
 */
final class FaultingStore implements CheckpointStore {

    enum Fault { UNAVAILABLE, FENCED }

    private final CheckpointStore real;
    private final Deque<Optional<Fault>> script = new ArrayDeque<>();
    int writes;
    /** Runs as each write starts, on the writer's thread: to look at the world while a write is in flight. */
    Runnable duringEachWrite = () -> { };

    FaultingStore(CheckpointStore real) {
        this.real = real;
    }

    /** The next {@code count} writes fail with {@code fault}, after {@code passing} writes that go through. */
    FaultingStore failAfter(int passing, int count, Fault fault) {
        for (int i = 0; i < passing; i++) {
            script.add(Optional.empty());
        }
        for (int i = 0; i < count; i++) {
            script.add(Optional.of(fault));
        }
        return this;
    }

    private void maybeFail(UnitId unit) {
        writes++;
        duringEachWrite.run();
        Optional<Fault> fault = script.isEmpty() ? Optional.empty() : script.poll();
        if (fault.isEmpty()) {
            return;
        }
        switch (fault.get()) {
            case UNAVAILABLE -> throw new CheckpointStoreUnavailableException("scripted: the table did not answer", null);
            case FENCED -> throw new OwnershipLostException("scripted: " + unit + " was claimed by another owner");
            default -> throw new IllegalStateException();
        }
    }

    @Override
    public String application() {
        return real.application();
    }

    @Override
    public Checkpoint claim(UnitId unit, Epoch epoch, String owner) {
        return real.claim(unit, epoch, owner);
    }

    @Override
    public void checkpoint(UnitId unit, Position position, FinishedBeyond finished, Epoch epoch) {
        maybeFail(unit);
        real.checkpoint(unit, position, finished, epoch);
    }

    @Override
    public void markEnded(UnitId unit, Epoch epoch) {
        maybeFail(unit);
        real.markEnded(unit, epoch);
    }

    @Override
    public Optional<Checkpoint> read(UnitId unit) {
        return real.read(unit);
    }

    @Override
    public List<Checkpoint> list() {
        return real.list();
    }

    @Override
    public void reset(UnitId unit, Position position) {
        real.reset(unit, position);
    }

    @Override
    public boolean seed(UnitId unit, Position start) {
        return real.seed(unit, start);
    }

    @Override
    public void clearClaim(UnitId unit) {
        real.clearClaim(unit);
    }
}
