package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.core.UnitId;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedSet;

/**
 * The fleet as ZooKeeper shows it at one moment, for the status command and the demo.
 *
 * @param application  the fleet
 * @param leader       the worker that leads, if any
 * @param generation   the last published generation
 * @param workers      the registered workers whose registration could be read
 * @param assignments  each worker's assigned units
 * @param leaseHolders each leased unit's holder
 * @param skipped      the nodes that could not be read and are left out above, each with why
 */
public record FleetSnapshot(String application, Optional<WorkerId> leader, long generation, List<WorkerInfo> workers,
                            Map<WorkerId, SortedSet<UnitId>> assignments, Map<UnitId, WorkerId> leaseHolders,
                            List<Skipped> skipped) {

    public FleetSnapshot {
        skipped = List.copyOf(skipped);
    }

    /** A snapshot in which every node could be read. */
    public FleetSnapshot(String application, Optional<WorkerId> leader, long generation, List<WorkerInfo> workers,
                         Map<WorkerId, SortedSet<UnitId>> assignments, Map<UnitId, WorkerId> leaseHolders) {
        this(application, leader, generation, workers, assignments, leaseHolders, List.of());
    }

    /** Why a worker's status cannot be fetched, when its registration's status URL was dropped. */
    public Optional<String> statusProblem(WorkerId worker) {
        return skipped.stream().filter(node -> node.worker().equals(Optional.of(worker))).map(Skipped::reason).findFirst();
    }

    /**
     * A node that was left out of the snapshot, or a part of one (a worker's status URL).
     *
     * @param node   the znode's path
     * @param worker the worker whose registration is otherwise shown, when only its status URL was dropped
     * @param reason why, with the value found
     */
    public record Skipped(String node, Optional<WorkerId> worker, String reason) {

        public Skipped {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(worker, "worker");
            Objects.requireNonNull(reason, "reason");
        }
    }
}
