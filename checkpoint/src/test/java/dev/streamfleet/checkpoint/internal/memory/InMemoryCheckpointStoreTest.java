package dev.streamfleet.checkpoint.internal.memory;

import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.CheckpointStoreContract;

class InMemoryCheckpointStoreTest extends CheckpointStoreContract {

    private final InMemoryCheckpointTable table = new InMemoryCheckpointTable();

    @Override
    protected CheckpointStore storeFor(String application) {
        return table.store(application);
    }
}
