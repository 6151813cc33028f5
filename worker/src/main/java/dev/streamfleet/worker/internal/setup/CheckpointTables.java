package dev.streamfleet.worker.internal.setup;

import dev.streamfleet.checkpoint.internal.dynamodb.DynamoDbCheckpointConfig;
import dev.streamfleet.core.Backoff;
import dev.streamfleet.worker.config.FleetConfig;

import java.util.Optional;

/** The checkpoint table of a configuration, as the DynamoDB store wants it. */
public final class CheckpointTables {

    private CheckpointTables() {
    }

    public static DynamoDbCheckpointConfig of(FleetConfig.Checkpoints checkpoints) {
        return new DynamoDbCheckpointConfig(checkpoints.table(), checkpoints.region(), checkpoints.endpoint(),
                Optional.empty(), Backoff.DEFAULT, DynamoDbCheckpointConfig.DEFAULT_CALL_TIMEOUT);
    }
}
