package dev.streamfleet.checkpoint.internal.dynamodb;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointState;
import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.PositionCodec;
import dev.streamfleet.core.UnitId;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

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
                string(item, FINISHED).map(FinishedBeyond::decode).orElse(FinishedBeyond.NONE));
    }

    private static Optional<String> string(Map<String, AttributeValue> item, String attribute) {
        return Optional.ofNullable(item.get(attribute)).map(AttributeValue::s);
    }
}
