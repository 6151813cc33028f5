package dev.streamfleet.checkpoint.internal.dynamodb;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointState;
import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.FinishedBeyond;
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
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.OWNER;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.POSITION;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.STATE;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.UNIT;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.UPDATED_AT;

/** Reads a table item as a {@link Checkpoint}. */
final class CheckpointRows {

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointRows.class);

    private CheckpointRows() {
    }

    static Checkpoint toCheckpoint(Map<String, AttributeValue> item) {
        UnitId unit = UnitId.parse(string(item, UNIT).orElseThrow(() -> new IllegalStateException("row without unit: " + item)));
        Optional<String> domain = string(item, DOMAIN);
        Optional<Long> epoch = Optional.ofNullable(item.get(EPOCH)).map(AttributeValue::n).map(Long::parseLong);
        return new Checkpoint(
                unit,
                string(item, POSITION).map(PositionCodec::decode),
                domain.isPresent() && epoch.isPresent() ? Optional.of(new Epoch(domain.get(), epoch.get())) : Optional.empty(),
                string(item, OWNER),
                string(item, STATE).map(CheckpointState::valueOf).orElse(CheckpointState.ACTIVE),
                Optional.ofNullable(item.get(UPDATED_AT)).map(AttributeValue::n).map(Long::parseLong)
                        .map(Instant::ofEpochMilli).orElse(Instant.EPOCH),
                string(item, FINISHED).map(stored -> finished(unit, stored)).orElse(FinishedBeyond.NONE));
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
     * The set of finished records a row holds, if it can be trusted: numbered by the rules of this
     * build, well formed, and for Kinesis counted from a named record. Any other set (written
     * before sets were versioned, by a build whose rules differ, or damaged) is reported and left
     * out, so that the unit processes again everything after its watermark instead of skipping
     * records the set may not name.
     */
    static FinishedBeyond finished(UnitId unit, String stored) {
        String[] parts = stored.split("\\.", 3);
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
            return ignored(unit, "cannot be read (" + e.getMessage() + ")");
        }
        if (set.end() > FinishedBeyond.MAX_END) {
            return ignored(unit, "reach " + set.end() + " records after it, more than any worker keeps ("
                    + FinishedBeyond.MAX_END + ")");
        }
        if (unit.kind() == SourceKind.KINESIS && !set.isEmpty() && set.first().isEmpty()) {
            return ignored(unit, "do not name the record they are counted from");
        }
        return set;
    }

    private static FinishedBeyond ignored(UnitId unit, String why) {
        LOG.warn("{}: the row's records finished beyond its watermark {}; they are ignored and everything after the"
                + " watermark is processed again", unit, why);
        return FinishedBeyond.NONE;
    }

    private static Optional<String> string(Map<String, AttributeValue> item, String attribute) {
        return Optional.ofNullable(item.get(attribute)).map(AttributeValue::s);
    }
}
