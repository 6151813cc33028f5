package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.core.UnitId;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;

/**
 * The fleet as ZooKeeper shows it at one moment, for the status command and the demo.
 *
 * @param application  the fleet
 * @param leader       the worker that leads, if any
 * @param generation   the last published generation
 * @param workers      the registered workers
 * @param assignments  each worker's assigned units
 * @param leaseHolders each leased unit's holder
 */
public record FleetSnapshot(String application, Optional<WorkerId> leader, long generation, List<WorkerInfo> workers,
                            Map<WorkerId, SortedSet<UnitId>> assignments, Map<UnitId, WorkerId> leaseHolders) {
}
