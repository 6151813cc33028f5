package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.UnitId;

/**
 * The ZooKeeper layout of one application:
 *
 * <pre>
 * /streamfleet/fencing-domain            persistent  the id of this ZooKeeper history (shared by all applications)
 * /streamfleet/&lt;app&gt;/workers/&lt;workerId&gt;    ephemeral   worker metadata
 * /streamfleet/&lt;app&gt;/leader/…             LeaderLatch participants
 * /streamfleet/&lt;app&gt;/generation           persistent  the last published generation
 * /streamfleet/&lt;app&gt;/assignments/&lt;workerId&gt; persistent {generation, units}, written by the leader only
 * /streamfleet/&lt;app&gt;/leases/&lt;unit&gt;         ephemeral   {workerId, generation}, created by the owner only
 * /streamfleet/&lt;app&gt;/ended/&lt;unit&gt;          persistent  "this unit reached its end", for the leader
 * </pre>
 *
 * A unit id's '/' separators become '~' in znode names ('~' is not allowed in stream or
 * topic names, so the mapping is reversible).
 */
final class ZkPaths {

    static final String FENCING_DOMAIN = "/streamfleet/fencing-domain";

    private final String root;

    ZkPaths(String application) {
        this.root = "/streamfleet/" + application;
    }

    String root() {
        return root;
    }

    String workers() {
        return root + "/workers";
    }

    String worker(WorkerId id) {
        return workers() + "/" + id.value();
    }

    /** Where each worker publishes its units' loads: an ephemeral node per worker. */
    String loads() {
        return root + "/loads";
    }

    String loads(WorkerId id) {
        return loads() + "/" + id.value();
    }

    String leader() {
        return root + "/leader";
    }

    String generation() {
        return root + "/generation";
    }

    String assignments() {
        return root + "/assignments";
    }

    String assignment(WorkerId id) {
        return assignments() + "/" + id.value();
    }

    String leases() {
        return root + "/leases";
    }

    String lease(UnitId unit) {
        return leases() + "/" + nodeName(unit);
    }

    String ended() {
        return root + "/ended";
    }

    String ended(UnitId unit) {
        return ended() + "/" + nodeName(unit);
    }

    static String nodeName(UnitId unit) {
        return unit.toString().replace('/', '~');
    }

    /**
     * The unit a node under {@code leases/} or {@code ended/} is named after.
     *
     * @throws IllegalArgumentException naming the node when the name is not a unit id
     */
    static UnitId unitOf(String nodeName) {
        try {
            return UnitId.parse(nodeName.replace('~', '/'));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("'" + ZkJson.shown(nodeName) + "' is not a unit id with '~' for '/'");
        }
    }

    /**
     * The worker a node under {@code workers/}, {@code assignments/} or {@code loads/} is named after.
     *
     * @throws IllegalArgumentException naming the node when the name is not a worker id
     */
    static WorkerId workerOf(String nodeName) {
        try {
            return WorkerId.of(nodeName);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + ZkJson.shown(nodeName) + "' is not a worker id (1-128 characters of"
                    + " A-Z a-z 0-9 . _ -)");
        }
    }
}
