package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SortedSet;

/**
 * Why a rebalance happened, in words for the page and {@code status}: workers that joined or
 * left, units read to their end, new units, and moves for load with the loaded worker's level and
 * each move. Pure.
 */
public final class RebalanceReason {

    private static final int NAMED = 5;

    private RebalanceReason() {
    }

    /**
     * @param joined   live workers that had no assignment yet
     * @param left     workers whose assignment is withdrawn because they are gone
     * @param ended    units whose end this rebalance handles
     * @param newUnits units assigned for the first time
     * @param moves    the units the strategy moved for load
     */
    public static String describe(SortedSet<WorkerId> joined, SortedSet<WorkerId> left, Set<UnitId> ended, int newUnits,
                                  List<LoadMove> moves) {
        List<String> parts = new ArrayList<>();
        if (!joined.isEmpty()) {
            parts.add("join of " + names(joined.stream().map(WorkerId::value).toList()));
        }
        if (!left.isEmpty()) {
            parts.add("leave of " + names(left.stream().map(WorkerId::value).toList()));
        }
        if (!ended.isEmpty()) {
            parts.add("shard end of " + names(ended.stream().map(UnitId::toString).sorted().toList()));
        }
        if (newUnits > 0) {
            parts.add(newUnits + (newUnits == 1 ? " new unit" : " new units"));
        }
        if (!moves.isEmpty()) {
            LoadMove first = moves.get(0);
            StringBuilder load = new StringBuilder(String.format(Locale.ROOT, "load: %s at %.2f× the fair level; ",
                    first.from().value(), first.fromLevel()));
            List<String> each = new ArrayList<>();
            for (LoadMove move : moves.subList(0, Math.min(NAMED, moves.size()))) {
                each.add(String.format(Locale.ROOT, "%s (%.3f) %s → %s (at %.2f×)", move.unit(), move.load(),
                        move.from().value(), move.to().value(), move.toLevel()));
            }
            load.append(String.join(", ", each));
            if (moves.size() > NAMED) {
                load.append(" and ").append(moves.size() - NAMED).append(" more");
            }
            parts.add(load.toString());
        }
        return parts.isEmpty() ? "assignment repaired" : String.join("; ", parts);
    }

    private static String names(List<String> names) {
        if (names.size() <= NAMED) {
            return String.join(", ", names);
        }
        return String.join(", ", names.subList(0, NAMED)) + " and " + (names.size() - NAMED) + " more";
    }
}
