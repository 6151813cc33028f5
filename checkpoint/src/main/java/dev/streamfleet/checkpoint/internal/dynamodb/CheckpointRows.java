package dev.streamfleet.checkpoint.internal.dynamodb;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointState;
import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.PositionCodec;
import dev.streamfleet.core.SourceKind;
import dev.streamfleet.core.UnitId;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.DOMAIN;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.EPOCH;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.FINISHED;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.FORMAT;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.OWNER;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.PK;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.POSITION;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.POSITION_KEY;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.ROW_FORMAT;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.STATE;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.UNIT;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.UPDATED_AT;

/**
 * Reads a table item as a {@link Checkpoint}: the one place where a row's attributes are parsed
 * and checked (docs/design.md §"What is trusted", "Checkpoint rows"). A row that is not what this
 * build writes, whether damaged by hand, written by a newer build or renamed, becomes a
 * quarantined {@link Checkpoint} naming the attribute and its value; it never throws, and it never
 * reads as a row without a position. Rows without a {@code format} attribute, which builds before
 * it wrote, read as they always did.
 */
final class CheckpointRows {

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointRows.class);
    /** How much of a bad value a reason quotes. */
    private static final int QUOTED = 160;

    private CheckpointRows() {
    }

    /** The row of {@code unit}, read by its key. */
    static Checkpoint toCheckpoint(UnitId unit, Map<String, AttributeValue> item) {
        try {
            AttributeValue named = item.get(UNIT);
            if (named == null) {
                throw new Untrusted("it has no attribute '" + UNIT + "'");
            }
            if (named.s() == null || !named.s().equals(unit.toString())) {
                throw new Untrusted("attribute '" + UNIT + "' is " + describe(named) + ", not the unit its key names");
            }
            return parse(unit, item);
        } catch (Untrusted e) {
            return quarantined(unit, item, e.getMessage());
        }
    }

    /**
     * A row found by listing {@code application}'s rows, which names its unit itself. Empty, with a
     * WARN, when it is nobody's row: neither its {@code unit} nor its key names a unit, or they
     * name different ones, so that no claim ever reads it.
     */
    static Optional<Checkpoint> listed(String application, Map<String, AttributeValue> item) {
        AttributeValue key = item.get(PK);
        String prefix = application + "/";
        Optional<UnitId> byKey = Optional.ofNullable(key).map(AttributeValue::s).filter(k -> k.startsWith(prefix))
                .flatMap(k -> unitId(k.substring(prefix.length())));
        Optional<UnitId> byName = Optional.ofNullable(item.get(UNIT)).map(AttributeValue::s).flatMap(CheckpointRows::unitId);
        if (byKey.isEmpty() || (byName.isPresent() && !byName.equals(byKey))) {
            LOG.warn("a checkpoint row of {} with key {} and unit {} is not the row of any unit; it is left out of the"
                    + " listing", application, key == null ? "(none)" : describe(key),
                    item.get(UNIT) == null ? "(none)" : describe(item.get(UNIT)));
            return Optional.empty();
        }
        return Optional.of(toCheckpoint(byKey.get(), item));
    }

    private static Optional<UnitId> unitId(String text) {
        try {
            return Optional.of(UnitId.parse(text));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static Checkpoint parse(UnitId unit, Map<String, AttributeValue> item) throws Untrusted {
        // First: in a newer format the other attributes may mean something this build does not know.
        long format = format(item);
        if (format > ROW_FORMAT) {
            throw new Untrusted("attribute '" + FORMAT + "' is " + format + ": the row was written by a newer streamfleet"
                    + " (this build reads row formats up to " + ROW_FORMAT + "), so it is left as it is");
        }
        CheckpointState state = state(item);
        Optional<Position> position = position(unit, item);
        checkPositionKey(item, position);
        Optional<Epoch> epoch = epoch(item);
        Optional<String> owner = optionalString(item, OWNER);
        Instant updatedAt = updatedAt(item);
        FinishedBeyond finished = finished(unit, item, position);
        return new Checkpoint(unit, position, epoch, owner, state, updatedAt, finished);
    }

    private static Checkpoint quarantined(UnitId unit, Map<String, AttributeValue> item, String reason) {
        Instant updatedAt;
        try {
            updatedAt = updatedAt(item);
        } catch (Untrusted e) {
            updatedAt = Instant.EPOCH;
        }
        LOG.warn("{}: checkpoint row quarantined: {}", unit, reason);
        return Checkpoint.quarantined(unit, updatedAt, reason);
    }

    private static long format(Map<String, AttributeValue> item) throws Untrusted {
        AttributeValue value = item.get(FORMAT);
        if (value == null) {
            return 1;
        }
        long format = number(FORMAT, value);
        if (format < 1) {
            throw new Untrusted("attribute '" + FORMAT + "' is " + describe(value) + ", not a row format (1 or more)");
        }
        return format;
    }

    private static CheckpointState state(Map<String, AttributeValue> item) throws Untrusted {
        AttributeValue value = item.get(STATE);
        if (value == null) {
            throw new Untrusted("it has no attribute '" + STATE + "' (every streamfleet build writes one)");
        }
        if ("ACTIVE".equals(value.s())) {
            return CheckpointState.ACTIVE;
        }
        if ("ENDED".equals(value.s())) {
            return CheckpointState.ENDED;
        }
        throw new Untrusted("attribute '" + STATE + "' is " + describe(value) + ", not ACTIVE or ENDED");
    }

    private static Optional<Position> position(UnitId unit, Map<String, AttributeValue> item) throws Untrusted {
        AttributeValue value = item.get(POSITION);
        if (value == null) {
            return Optional.empty();
        }
        if (value.s() == null) {
            throw new Untrusted("attribute '" + POSITION + "' is " + describe(value) + ", not a position string");
        }
        Position position;
        try {
            position = PositionCodec.decode(value.s());
        } catch (IllegalArgumentException e) {
            throw new Untrusted("attribute '" + POSITION + "' is " + describe(value) + ", not a position");
        }
        if (!ofKind(unit.kind(), position)) {
            throw new Untrusted("attribute '" + POSITION + "' is " + describe(value) + ", not a position of a "
                    + unit.kind().id() + " unit");
        }
        return Optional.of(position);
    }

    private static boolean ofKind(SourceKind kind, Position position) {
        return switch (kind) {
            case KINESIS -> !(position instanceof Position.Offset);
            case KAFKA -> !(position instanceof Position.Sequence);
        };
    }

    /**
     * The sort key a starting point (TRIM_HORIZON, LATEST, AT_TIMESTAMP) is written with: below every
     * record's, so any checkpoint passes it, and present, so that a row whose {@code pos} was renamed
     * or removed is told from one that never had a position.
     */
    static final String STARTING_POINT_KEY = "!";

    /**
     * The sort key is what the checkpoint condition compares; when it names another record than
     * the position (the position edited by hand), every later checkpoint would fail its condition.
     */
    private static void checkPositionKey(Map<String, AttributeValue> item, Optional<Position> position)
            throws Untrusted {
        AttributeValue value = item.get(POSITION_KEY);
        if (value == null) {
            return;
        }
        if (position.isEmpty()) {
            throw new Untrusted("attribute '" + POSITION_KEY + "' is " + describe(value) + " but the row has no '"
                    + POSITION + "' (renamed or removed?)");
        }
        String expected = position.get().isRecordPosition() ? PositionCodec.sortKey(position.get()) : STARTING_POINT_KEY;
        if (!expected.equals(value.s())) {
            throw new Untrusted("attribute '" + POSITION + "' is '" + PositionCodec.encode(position.get()) + "' but '"
                    + POSITION_KEY + "' is " + describe(value) + ", which names another record (was one edited by hand?)");
        }
    }

    private static Optional<Epoch> epoch(Map<String, AttributeValue> item) throws Untrusted {
        AttributeValue value = item.get(EPOCH);
        AttributeValue domain = item.get(DOMAIN);
        if (value == null && domain == null) {
            return Optional.empty();
        }
        if (value == null || domain == null) {
            String present = value == null ? DOMAIN : EPOCH;
            String missing = value == null ? EPOCH : DOMAIN;
            throw new Untrusted("attribute '" + present + "' is " + describe(value == null ? domain : value)
                    + " but the row has no '" + missing + "'");
        }
        long zxid = number(EPOCH, value);
        if (domain.s() == null) {
            throw new Untrusted("attribute '" + DOMAIN + "' is " + describe(domain) + ", not a fencing domain");
        }
        try {
            return Optional.of(new Epoch(domain.s(), zxid));
        } catch (IllegalArgumentException e) {
            throw new Untrusted("attributes '" + DOMAIN + "' and '" + EPOCH + "' are " + describe(domain) + " and "
                    + describe(value) + ", not an epoch (" + e.getMessage() + ")");
        }
    }

    private static Instant updatedAt(Map<String, AttributeValue> item) throws Untrusted {
        AttributeValue value = item.get(UPDATED_AT);
        return value == null ? Instant.EPOCH : Instant.ofEpochMilli(number(UPDATED_AT, value));
    }

    private static Optional<String> optionalString(Map<String, AttributeValue> item, String attribute) throws Untrusted {
        AttributeValue value = item.get(attribute);
        if (value == null) {
            return Optional.empty();
        }
        if (value.s() == null) {
            throw new Untrusted("attribute '" + attribute + "' is " + describe(value) + ", not a string");
        }
        return Optional.of(value.s());
    }

    private static long number(String attribute, AttributeValue value) throws Untrusted {
        if (value.n() == null) {
            throw new Untrusted("attribute '" + attribute + "' is " + describe(value) + ", not a number");
        }
        try {
            return Long.parseLong(value.n());
        } catch (NumberFormatException e) {
            throw new Untrusted("attribute '" + attribute + "' is " + describe(value) + ", not a whole number");
        }
    }

    /**
     * The stored form of a set of finished records: the version of the rules that number them, a
     * dot, the set, and when it names its first record, a dot and that record's position.
     */
    static String storedFinished(FinishedBeyond finished) {
        return FinishedBeyond.ORDINALS_VERSION + "." + finished.encode()
                + finished.first().map(first -> "." + PositionCodec.encode(first)).orElse("");
    }

    /**
     * The set of finished records a row holds. A set numbered by other rules than this build's
     * (written before sets were versioned, or by a build whose rules differ) is reported and left
     * out: the unit processes again everything after its watermark instead of skipping records the
     * set may not name. A set of this build's version that does not parse, reaches further than any
     * worker keeps, or is not counted from a record after the watermark is damage: the row is
     * quarantined rather than read with a set it does not hold.
     */
    private static FinishedBeyond finished(UnitId unit, Map<String, AttributeValue> item, Optional<Position> position)
            throws Untrusted {
        AttributeValue value = item.get(FINISHED);
        if (value == null) {
            return FinishedBeyond.NONE;
        }
        if (value.s() == null) {
            throw new Untrusted("attribute '" + FINISHED + "' is " + describe(value) + ", not a set of finished records");
        }
        String[] parts = value.s().split("\\.", 3);
        String version = parts.length < 2 ? "1" : parts[0];
        if (!version.equals(Integer.toString(FinishedBeyond.ORDINALS_VERSION))) {
            return ignored(unit, "are numbered by rules of version " + version + ", not " + FinishedBeyond.ORDINALS_VERSION);
        }
        FinishedBeyond set;
        try {
            set = FinishedBeyond.decode(parts[1]);
            if (parts.length == 3) {
                set = set.anchoredAt(PositionCodec.decode(parts[2]));
            }
        } catch (IllegalArgumentException e) {
            throw new Untrusted("attribute '" + FINISHED + "' is " + describe(value) + ", which does not parse ("
                    + e.getMessage() + ")");
        }
        if (set.isEmpty()) {
            return set;
        }
        if (set.end() > FinishedBeyond.MAX_END) {
            throw new Untrusted("attribute '" + FINISHED + "' is " + describe(value) + ", which reaches " + set.end()
                    + " records after the watermark, more than any worker keeps (" + FinishedBeyond.MAX_END + ")");
        }
        // A Kinesis unit with nothing finished since its starting point counts from that point.
        boolean fromStart = position.isPresent() && !position.get().isRecordPosition()
                && unit.kind() == SourceKind.KINESIS && !(position.get() instanceof Position.Latest);
        if (position.isEmpty() || !position.get().isRecordPosition() && !fromStart) {
            throw new Untrusted("attribute '" + FINISHED + "' is " + describe(value)
                    + " but the row has no record position for it to count from");
        }
        Optional<Position> first = set.first();
        if (unit.kind() == SourceKind.KINESIS && first.isEmpty()) {
            throw new Untrusted("attribute '" + FINISHED + "' is " + describe(value)
                    + ", which does not name the record it is counted from");
        }
        if (first.isPresent() && !(first.get() instanceof Position.Sequence anchor && countsFrom(anchor, position.get()))) {
            throw new Untrusted("attribute '" + FINISHED + "' is " + describe(value) + ", counted from "
                    + PositionCodec.encode(first.get()) + ", which is not a record after the watermark");
        }
        return set;
    }

    /** Whether a set counted from {@code anchor} can follow {@code position}: any record follows a starting point. */
    private static boolean countsFrom(Position.Sequence anchor, Position position) {
        return !position.isRecordPosition()
                || position instanceof Position.Sequence watermark && anchor.compareTo(watermark) > 0;
    }

    private static FinishedBeyond ignored(UnitId unit, String why) {
        LOG.warn("{}: the row's records finished beyond its watermark {}; they are ignored and everything after the"
                + " watermark is processed again", unit, why);
        return FinishedBeyond.NONE;
    }

    /** A value as a reason quotes it: its type and, shortened, its text. */
    static String describe(AttributeValue value) {
        String text;
        String type;
        if (value.s() != null) {
            type = "the string";
            text = "'" + value.s() + "'";
        } else if (value.n() != null) {
            type = "the number";
            text = value.n();
        } else if (value.bool() != null) {
            type = "the boolean";
            text = value.bool().toString();
        } else if (Boolean.TRUE.equals(value.nul())) {
            return "NULL";
        } else {
            type = "a value of type";
            text = String.valueOf(value.type());
        }
        if (text.length() > QUOTED) {
            text = text.substring(0, QUOTED - 41) + "…" + text.substring(text.length() - 40);
        }
        return type + " " + text;
    }

    /** Why a row is not trusted; cheap, since it is only ever turned into a reason. */
    private static final class Untrusted extends Exception {
        Untrusted(String reason) {
            super(reason, null, false, false);
        }
    }
}
