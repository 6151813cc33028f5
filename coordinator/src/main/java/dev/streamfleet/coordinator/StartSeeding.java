package dev.streamfleet.coordinator;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointException;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.PositionCodec;
import dev.streamfleet.core.UnitId;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's side of {@link UnitStart}: before a unit is first assigned, it gathers the facts
 * about the unit and, when the unit must start at its beginning, seeds its checkpoint row with
 * TRIM_HORIZON, so that whoever claims it reads from there (docs/design.md §2a). A unit whose
 * start is not settled (the store could not be read or written) is held back from the
 * assignment and settled again at the next rebalance; the other units go on.
 *
 * <p>DynamoDB is asked once when leadership starts (one {@link CheckpointStore#list}) and then
 * only about units seen for the first time, so an idle fleet makes no requests. Not thread-safe:
 * the leader calls it from its one loop thread, before each rebalance decision
 * ({@code LeaderDecisions}); a new leader starts with a new instance. It speaks only to the two
 * ports, so a simulated fleet can drive it with its own store and discovery.
 */
public final class StartSeeding {

    private static final Logger LOG = LoggerFactory.getLogger(StartSeeding.class);

    private final CheckpointStore store;
    private final UnitDiscovery discovery;
    /** The units with a row when this leader started; null until the store answered. */
    private Set<UnitId> rowsAtStart;
    /** The sources the application read before this leader, or whose first units this leader already settled. */
    private final Set<String> sourcesRead = new HashSet<>();
    /** The units whose start is settled: nothing more to do for them while they exist. */
    private final Set<UnitId> settled = new HashSet<>();
    /** Units seen at their source's first look whose start could not be settled then: still units of the first start. */
    private final Set<UnitId> heldAtFirstLook = new HashSet<>();
    /** Units this leader seeded with the first start's position: such a row alone does not say the unit was read. */
    private final Set<UnitId> seededAtFirstStart = new HashSet<>();

    StartSeeding(CheckpointStore store) {
        this(store, List::of);
    }

    /** With {@code discovery} resolving where the units of the application's first start begin. */
    public StartSeeding(CheckpointStore store, UnitDiscovery discovery) {
        this.store = store;
        this.discovery = discovery;
    }

    /**
     * Settles the start of every unit seen for the first time.
     *
     * @param units    every unit discovery knows now
     * @param assigned the units named by the published assignment: an earlier leader settled them
     * @return the units that must not be assigned yet, because their start is not settled
     */
    public SortedSet<UnitId> settle(Map<UnitId, UnitSpec> units, Set<UnitId> assigned) {
        settled.retainAll(units.keySet());
        SortedSet<UnitId> held = new TreeSet<>();
        if (rowsAtStart == null && !readRowsAtStart()) {
            for (UnitId unit : units.keySet()) {
                if (!settled.contains(unit) && !assigned.contains(unit)) {
                    held.add(unit);
                }
            }
            return held;
        }
        Set<String> sourcesSeen = new HashSet<>();
        for (UnitId unit : new TreeSet<>(units.keySet())) {
            UnitSpec spec = units.get(unit);
            if (settled.contains(unit)) {
                continue;
            }
            sourcesSeen.add(source(unit));
            try {
                settleOne(spec, assigned.contains(unit));
                settled.add(unit);
                heldAtFirstLook.remove(unit);
            } catch (CheckpointException | CoordinatorException e) {
                LOG.warn("not assigning {} yet: where it starts is not settled ({}); trying again", unit, e.getMessage());
                held.add(unit);
                if (!sourcesRead.contains(source(unit))) {
                    heldAtFirstLook.add(unit);
                }
            }
        }
        // From now on a unit of these sources that was not seen at this first look appeared later.
        sourcesRead.addAll(sourcesSeen);
        heldAtFirstLook.retainAll(units.keySet());
        return held;
    }

    private void settleOne(UnitSpec spec, boolean assignedBefore) {
        UnitId unit = spec.id();
        boolean hasRow = rowsAtStart.contains(unit);
        boolean sourceReadBefore = sourcesRead.contains(source(unit)) && !heldAtFirstLook.contains(unit);
        // The parents are read only when the answer can change the decision.
        boolean parentRead = !hasRow && !assignedBefore && !sourceReadBefore && anyParentRead(spec.parents());
        UnitStart start = UnitStart.of(new StartFacts(hasRow, assignedBefore, parentRead, sourceReadBefore));
        if (start.needsSeed()) {
            boolean created = store.seed(unit, Position.TRIM_HORIZON);
            LOG.info("{} appeared after the application first read its source: it starts at TRIM_HORIZON{}", unit,
                    created ? "" : " unless its row, written meanwhile, says otherwise");
        } else if (start == UnitStart.INITIAL_POSITION && !hasRow && !assignedBefore) {
            // Resolved once, here, so that an owner that takes the unit over before its first checkpoint starts
            // where the first one did instead of at a LATEST of its own, which would skip what came between.
            Optional<Position> resolved = discovery.firstStart(unit);
            if (resolved.isPresent()) {
                boolean created = store.seed(unit, resolved.get());
                if (created) {
                    seededAtFirstStart.add(unit);
                }
                LOG.debug("{} starts at {}{}", unit, PositionCodec.encode(resolved.get()),
                        created ? "" : " unless its row, written meanwhile, says otherwise");
            }
        }
    }

    private boolean anyParentRead(List<UnitId> parents) {
        for (UnitId parent : parents) {
            if (rowsAtStart.contains(parent)) {
                return true;
            }
            // A row this leader seeded for the first start says the parent was read only once someone claimed it.
            Optional<Checkpoint> row = store.read(parent);
            if (row.isPresent() && (!seededAtFirstStart.contains(parent) || row.get().epoch().isPresent())) {
                return true;
            }
        }
        return false;
    }

    private boolean readRowsAtStart() {
        try {
            Set<UnitId> rows = new HashSet<>();
            for (Checkpoint row : store.list()) {
                rows.add(row.unit());
                sourcesRead.add(source(row.unit()));
            }
            rowsAtStart = rows;
            return true;
        } catch (CheckpointException e) {
            LOG.warn("not assigning new units yet: the checkpoint rows could not be listed ({}); trying again", e.getMessage());
            return false;
        }
    }

    private static String source(UnitId unit) {
        return unit.kind() + "/" + unit.stream();
    }
}
