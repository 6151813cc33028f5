package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.checkpoint.OwnershipLostException;
import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.Position;
import dev.streamfleet.worker.Checkpointer;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * The processor's own checkpoints, made from inside process, revoked or shardEnded, on the unit's
 * mailbox. They reach no further than what was handed over and never cover a batch that threw. A
 * fenced write throws {@link OwnershipLostException} to the processor, and the unit stops after
 * the callback whatever the processor did with it; a transient failure is logged and left to the
 * unit's next write, which covers at least as much.
 */
final class ProcessorCheckpointer implements Checkpointer {

    private final UnitCheckpoints checkpoints;
    private final Supplier<Optional<Position>> handedOver;

    /** @param handedOver the last record the processor may checkpoint now ({@link UnitSteps#handedOver}) */
    ProcessorCheckpointer(UnitCheckpoints checkpoints, Supplier<Optional<Position>> handedOver) {
        this.checkpoints = checkpoints;
        this.handedOver = handedOver;
    }

    @Override
    public void checkpoint() {
        Optional<Position> last = handedOver.get();
        if (last.isPresent() && !last.get().equals(checkpoints.written())) {
            outcome(checkpoints.write(last.get(), FinishedBeyond.NONE));
        }
    }

    @Override
    public void checkpoint(Position position) {
        CheckpointRange.check(position, checkpoints.written(), handedOver.get().orElse(null));
        outcome(checkpoints.write(position, FinishedBeyond.NONE));
    }

    private void outcome(UnitCheckpoints.Outcome outcome) {
        if (outcome == UnitCheckpoints.Outcome.FENCED) {
            throw new OwnershipLostException(checkpoints.fenced().orElse("the checkpoint was fenced"));
        }
    }
}
