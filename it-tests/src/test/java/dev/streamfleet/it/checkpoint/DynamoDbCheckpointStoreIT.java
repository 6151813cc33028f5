package dev.streamfleet.it.checkpoint;

import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.CheckpointStoreContract;
import dev.streamfleet.checkpoint.internal.dynamodb.DynamoDbCheckpointConfig;
import dev.streamfleet.checkpoint.internal.dynamodb.DynamoDbCheckpointTable;
import dev.streamfleet.it.LocalStackExtension;

import java.net.URI;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The checkpoint store contract, against the DynamoDB store on a real dynalite process. */
class DynamoDbCheckpointStoreIT extends CheckpointStoreContract {

    @RegisterExtension
    static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withDynamoDb());

    private static DynamoDbCheckpointTable table;

    @BeforeAll
    static void openTable() {
        URI endpoint = URI.create(SERVERS.stack().dynamodb().endpoint());
        table = DynamoDbCheckpointTable.open(DynamoDbCheckpointConfig.local("contract-checkpoints", endpoint));
    }

    @AfterAll
    static void closeTable() {
        if (table != null) {
            table.close();
        }
    }

    @Override
    protected CheckpointStore storeFor(String application) {
        return table.store(application);
    }
}
