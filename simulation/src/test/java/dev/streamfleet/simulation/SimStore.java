package dev.streamfleet.simulation;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.CheckpointStoreUnavailableException;
import dev.streamfleet.checkpoint.QuarantinedRowException;
import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * One worker's view of the checkpoint table: the in-memory rows, which apply the production
 * condition rules, reached with a latency (a pool thread waits for it; the keeper's and the
 * leader's never-blocking threads do not) and with the errors of a real table drawn per call:
 * throttling or a server error before the write, or a timeout after it landed. Every write that
 * lands is shown to the {@link History}.
 */
final class SimStore implements CheckpointStore {

    /** How often calls fail, for the whole fleet; changed by the run's faults. */
    static final class Errors {
        double failBefore;
        double landThenTimeOut;
        /** Workers cut off from DynamoDB: every call of theirs fails. */
        final java.util.Set<String> cutOff = new java.util.HashSet<>();
    }

    private final CheckpointStore rows;
    private final SimLoop loop;
    private final SimLoop.Host host;
    private final History history;
    private final Errors errors;
    private final Garbage garbage;

    SimStore(CheckpointStore rows, SimLoop loop, SimLoop.Host host, History history, Errors errors, Garbage garbage) {
        this.garbage = garbage;
        this.rows = rows;
        this.loop = loop;
        this.host = host;
        this.history = history;
        this.errors = errors;
    }

    private <T> T call(String what, UnitId unit, Supplier<T> op) {
        if (loop.mayWait()) {
            loop.take(Duration.ofMillis(1 + loop.random.nextInt(20)), host);
        }
        if (errors.cutOff.contains(host.name)) {
            throw new CheckpointStoreUnavailableException("DynamoDB unreachable from " + host.name + " (" + what + " "
                    + unit + ")", null);
        }
        double draw = loop.random.nextDouble();
        if (draw < errors.failBefore) {
            loop.trace.add(loop.now(), host.name, what + " " + unit + " throttled");
            throw new CheckpointStoreUnavailableException("simulated throttling of " + what + " " + unit, null);
        }
        T result = op.get();
        if (draw < errors.failBefore + errors.landThenTimeOut) {
            loop.trace.add(loop.now(), host.name, what + " " + unit + " landed, then timed out");
            throw new CheckpointStoreUnavailableException("simulated timeout of " + what + " " + unit
                    + " (the write landed)", null);
        }
        return result;
    }

    @Override
    public String application() {
        return rows.application();
    }

    @Override
    public Checkpoint claim(UnitId unit, Epoch epoch, String owner) {
        return call("claim", unit, () -> {
            Checkpoint claimed;
            try {
                claimed = rows.claim(unit, epoch, owner);
            } catch (QuarantinedRowException e) {
                loop.trace.add(loop.now(), host.name, "claim of " + unit + " refused: " + e.getMessage());
                garbage.claimed(host.name, unit, true);
                throw e;
            } catch (RuntimeException e) {
                garbage.claimed(host.name, unit, false);
                throw e;
            }
            garbage.claimed(host.name, unit, false);
            loop.trace.add(loop.now(), host.name, "claimed " + unit + " with epoch " + epoch + " at "
                    + claimed.position().map(Object::toString).orElse("no position"));
            return claimed;
        });
    }

    @Override
    public void checkpoint(UnitId unit, Position position, FinishedBeyond finished, Epoch epoch) {
        call("checkpoint", unit, () -> {
            Position before = rows.read(unit).flatMap(Checkpoint::position).orElse(null);
            rows.checkpoint(unit, position, finished, epoch);
            loop.trace.add(loop.now(), host.name, "checkpointed " + unit + " at " + position + " epoch " + epoch);
            history.checkpointed(host.name, unit, position, finished, before);
            return null;
        });
    }

    @Override
    public void markEnded(UnitId unit, Epoch epoch) {
        call("markEnded", unit, () -> {
            rows.markEnded(unit, epoch);
            loop.trace.add(loop.now(), host.name, "marked " + unit + " ENDED");
            return null;
        });
    }

    @Override
    public Optional<Checkpoint> read(UnitId unit) {
        return call("read", unit, () -> rows.read(unit));
    }

    @Override
    public List<Checkpoint> list() {
        return call("list", null, rows::list);
    }

    @Override
    public void reset(UnitId unit, Position position) {
        throw new UnsupportedOperationException("no operator resets in a simulation");
    }

    @Override
    public boolean seed(UnitId unit, Position start) {
        return call("seed", unit, () -> {
            boolean created = rows.seed(unit, start);
            loop.trace.add(loop.now(), host.name, "seeded " + unit + " at " + start + (created ? "" : " (row existed)"));
            return created;
        });
    }

    @Override
    public void clearClaim(UnitId unit) {
        throw new UnsupportedOperationException("no operator tools in a simulation");
    }
}
