package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.core.Position;
import dev.streamfleet.core.PositionCodec;

/**
 * Which positions a processor may checkpoint: no earlier than the unit's last checkpoint and no
 * later than the last record handed to it. A position past what was handed over would make a
 * restart skip records nobody processed; one before the last checkpoint would move it backwards.
 */
final class CheckpointRange {

    private CheckpointRange() {
    }

    /**
     * Fails with an {@link IllegalArgumentException} naming both bounds when {@code requested}
     * lies outside them.
     *
     * @param requested  what the processor asks to checkpoint
     * @param written    the unit's last checkpoint, or null when it has none
     * @param handedOver the last record position handed to the processor, or null when none was
     */
    static void check(Position requested, Position written, Position handedOver) {
        if (requested == null || !requested.isRecordPosition()) {
            throw new IllegalArgumentException("a checkpoint needs the position of a record handed over, not "
                    + describe(requested));
        }
        if (handedOver == null) {
            throw new IllegalArgumentException("cannot checkpoint " + describe(requested) + ": no record has been handed"
                    + " over yet (last checkpoint " + describe(written) + ")");
        }
        if (requested.getClass() != handedOver.getClass() || compare(requested, handedOver) > 0
                || written != null && requested.getClass() == written.getClass() && compare(requested, written) < 0) {
            throw new IllegalArgumentException("cannot checkpoint " + describe(requested) + ": a checkpoint must lie from"
                    + " the last checkpoint (" + describe(written) + ") to the last record handed over ("
                    + describe(handedOver) + ")");
        }
    }

    /** Whether record position {@code a} lies before {@code b}; positions of different kinds never do. */
    static boolean isBefore(Position a, Position b) {
        return a.isRecordPosition() && a.getClass() == b.getClass() && compare(a, b) < 0;
    }

    private static int compare(Position a, Position b) {
        if (a instanceof Position.Sequence sequence && b instanceof Position.Sequence other) {
            return sequence.compareTo(other);
        }
        return ((Position.Offset) a).compareTo((Position.Offset) b);
    }

    private static String describe(Position position) {
        return position == null ? "none" : PositionCodec.encode(position);
    }
}
