package dev.streamfleet.checkpoint;

import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.PositionCodec;
import dev.streamfleet.core.SourceKind;
import dev.streamfleet.core.UnitId;

import java.util.Optional;

/**
 * The fencing and ordering rules of a checkpoint store, as pure checks of a stored row against
 * a requested write. The in-memory store applies them under a lock; the DynamoDB store encodes
 * them as write conditions and applies them to explain a failed condition. Each check returns
 * normally when the write is allowed and otherwise throws the exception that explains why not.
 */
public final class CheckpointRules {

    private CheckpointRules() {
    }

    public static void checkClaim(UnitId unit, Optional<Checkpoint> stored, Epoch epoch) {
        Optional<Epoch> storedEpoch = stored.flatMap(Checkpoint::epoch);
        if (storedEpoch.isEmpty()) {
            return;
        }
        Epoch current = storedEpoch.get();
        if (!current.domain().equals(epoch.domain())) {
            throw new ForeignFencingDomainException(unit + " was claimed under fencing domain " + current.domain()
                    + ", not this fleet's " + epoch.domain() + " (was ZooKeeper rebuilt?); to adopt the stored positions run"
                    + " 'streamfleet checkpoints adopt --config <file>'");
        }
        if (!epoch.isNewerThan(current)) {
            throw new OwnershipLostException(unit + " is already claimed with epoch " + current + " by "
                    + stored.get().owner().orElse("?") + "; epoch " + epoch + " is not newer");
        }
    }

    /**
     * A checkpoint moves a row forward under its owner's epoch: to a record position, or, while no
     * record of the unit is finished since its starting point, to that same starting point with the
     * records finished beyond it (see {@link #requireCheckpointPosition}).
     */
    public static void checkCheckpoint(UnitId unit, Optional<Checkpoint> stored, Position position,
                                       FinishedBeyond finished, Epoch epoch) {
        requireCheckpointPosition(unit, position, finished);
        checkOwner(unit, stored, epoch);
        Checkpoint row = stored.orElseThrow();
        if (row.isEnded()) {
            throw new UnitEndedException(unit + " is ENDED; its position cannot change");
        }
        Optional<Position> current = row.position().filter(Position::isRecordPosition);
        if (!position.isRecordPosition()) {
            if (!row.position().equals(Optional.of(position))) {
                throw new PositionRegressionException("checkpoint of " + unit + " at its starting point "
                        + PositionCodec.encode(position) + " would replace "
                        + row.position().map(PositionCodec::encode).orElse("no position"));
            }
            return;
        }
        if (current.isPresent() && PositionCodec.sortKey(position).compareTo(PositionCodec.sortKey(current.get())) < 0) {
            throw new PositionRegressionException("checkpoint of " + unit + " at " + PositionCodec.encode(position)
                    + " would move it back from " + PositionCodec.encode(current.get()));
        }
    }

    public static void checkMarkEnded(UnitId unit, Optional<Checkpoint> stored, Epoch epoch) {
        checkOwner(unit, stored, epoch);
    }

    public static void checkReset(UnitId unit, Optional<Checkpoint> stored, Position position) {
        requireKind(unit, position);
        if (stored.isPresent() && stored.get().isEnded()) {
            throw new UnitEndedException(unit + " is ENDED; it cannot be reset");
        }
    }

    /** A seed names a starting point, never a record position: it says where reading begins, not what was read. */
    public static void checkSeed(UnitId unit, Position start) {
        if (start instanceof Position.Latest) {
            throw new IllegalArgumentException("a unit is seeded with a start that every owner resolves alike, not"
                    + " LATEST, which moves (" + unit + ")");
        }
    }

    /** The caller's write is fenced by {@code epoch}: it must be the stored epoch. */
    private static void checkOwner(UnitId unit, Optional<Checkpoint> stored, Epoch epoch) {
        Optional<Epoch> current = stored.flatMap(Checkpoint::epoch);
        if (current.isEmpty()) {
            throw new OwnershipLostException(unit + " has no claim; epoch " + epoch + " must claim it first");
        }
        if (!current.get().equals(epoch)) {
            throw new OwnershipLostException(unit + " is now claimed with epoch " + current.get() + " by "
                    + stored.get().owner().orElse("?") + "; epoch " + epoch + " no longer owns it");
        }
    }

    /**
     * What a checkpoint may name: a record position of the unit's own kind; or, for a Kinesis unit
     * none of whose records is finished since the starting point it was read from, that starting
     * point (TRIM_HORIZON or a timestamp, which every owner resolves alike) with the records
     * finished beyond it, whose set names the first record read from there. Anything else is a
     * caller's bug.
     */
    public static void requireCheckpointPosition(UnitId unit, Position position, FinishedBeyond finished) {
        if (position.isRecordPosition()) {
            requireKind(unit, position);
            return;
        }
        if (unit.kind() != SourceKind.KINESIS || position instanceof Position.Latest || finished.isEmpty()
                || finished.first().isEmpty()) {
            throw new IllegalArgumentException("a checkpoint of " + unit + " needs a record position, not "
                    + PositionCodec.encode(position) + (finished.isEmpty() ? "" : " with records finished beyond it"));
        }
    }

    private static void requireKind(UnitId unit, Position position) {
        boolean matches = switch (unit.kind()) {
            case KINESIS -> !(position instanceof Position.Offset);
            case KAFKA -> !(position instanceof Position.Sequence);
        };
        if (!matches) {
            throw new IllegalArgumentException(PositionCodec.encode(position) + " is not a position of a "
                    + unit.kind().id() + " unit (" + unit + ")");
        }
    }

    /** DynamoDB's own rule for table names, checked before any request. */
    public static String requireTableName(String table) {
        if (table == null || !table.matches("[A-Za-z0-9_.-]{3,255}")) {
            throw new IllegalArgumentException("invalid DynamoDB table name '" + table
                    + "' (3-255 characters of A-Z a-z 0-9 _ . -)");
        }
        return table;
    }

    /** Application names share one ZooKeeper and one table, so they are restricted to a safe alphabet. */
    public static String requireApplication(String application) {
        if (application == null || !application.matches("[A-Za-z0-9._-]{1,128}")) {
            throw new IllegalArgumentException("invalid application name '" + application
                    + "' (1-128 characters of A-Z a-z 0-9 . _ -)");
        }
        return application;
    }

}
