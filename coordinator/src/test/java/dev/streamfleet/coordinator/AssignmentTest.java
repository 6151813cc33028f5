package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class AssignmentTest {

    private static final WorkerId A = WorkerId.of("a");
    private static final WorkerId B = WorkerId.of("b");
    private static final UnitId P0 = UnitId.kafka("t", 0);
    private static final UnitId P1 = UnitId.kafka("t", 1);
    private static final UnitId P2 = UnitId.kafka("t", 2);

    private static SortedSet<UnitId> units(UnitId... units) {
        return new TreeSet<>(List.of(units));
    }

    @Test
    void unitWhoseStartIsNotSettledIsGivenToNobodyWhileTheOthersKeepTheirWorkers() {
        TreeMap<WorkerId, SortedSet<UnitId>> byWorker = new TreeMap<>();
        byWorker.put(A, units(P0, P2));
        byWorker.put(B, units(P1));
        Assignment assignment = new Assignment(byWorker,
                List.of(new LoadMove(P2, B, A, 1.0, 2.0, 1.0), new LoadMove(P1, A, B, 1.0, 2.0, 1.0)));

        Assignment held = assignment.without(Set.of(P2));

        assertThat(held.unitsOf(A)).containsExactly(P0);
        assertThat(held.unitsOf(B)).containsExactly(P1);
        assertThat(held.units()).containsOnlyKeys(A, B);
        assertThat(held.loadMoves()).extracting(LoadMove::unit).containsExactly(P1);
        assertThat(assignment.without(Set.of())).isSameAs(assignment);
    }
}
