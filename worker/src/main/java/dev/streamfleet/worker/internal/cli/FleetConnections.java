package dev.streamfleet.worker.internal.cli;

import dev.streamfleet.worker.internal.setup.CheckpointTables;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.internal.dynamodb.DynamoDbCheckpointTable;
import dev.streamfleet.coordinator.internal.zk.FleetReader;
import dev.streamfleet.worker.config.FleetConfig;

import java.time.Duration;

/** The checkpoint table and a read-only ZooKeeper view of a configured fleet, for the operator commands. */
final class FleetConnections implements AutoCloseable {

    final FleetConfig config;
    final DynamoDbCheckpointTable table;
    final CheckpointStore store;
    final FleetReader zookeeper;

    private FleetConnections(FleetConfig config, DynamoDbCheckpointTable table, FleetReader zookeeper) {
        this.config = config;
        this.table = table;
        this.store = table.store(config.application());
        this.zookeeper = zookeeper;
    }

    static FleetConnections open(FleetConfig config) {
        FleetConfig.Checkpoints checkpoints = config.checkpoints();
        DynamoDbCheckpointTable table = DynamoDbCheckpointTable.open(CheckpointTables.of(checkpoints));
        try {
            Duration timeout = config.zookeeper().sessionTimeout();
            return new FleetConnections(config, table, FleetReader.connect(config.zookeeper().connect(), timeout,
                    config.zookeeper().credentials()));
        } catch (RuntimeException e) {
            table.close();
            throw e;
        }
    }

    @Override
    public void close() {
        zookeeper.close();
        table.close();
    }
}
