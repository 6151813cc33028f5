package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RebalanceReasonTest {

    private static TreeSet<WorkerId> workers(String... names) {
        TreeSet<WorkerId> set = new TreeSet<>();
        for (String name : names) {
            set.add(WorkerId.of(name));
        }
        return set;
    }

    @Test
    void aRebalanceSaysWhoJoinedLeftAndWhatEnded() {
        String reason = RebalanceReason.describe(workers("w3"), workers("w1"), Set.of(UnitId.kinesis("s", "shardId-0")), 2,
                List.of());

        assertThat(reason).isEqualTo("join of w3; leave of w1; shard end of kinesis/s/shardId-0; 2 new units");
    }

    @Test
    void aMoveForLoadNamesTheLoadedWorkersLevelAndEachMoveInAnyLocale() {
        java.util.Locale before = java.util.Locale.getDefault();
        java.util.Locale.setDefault(java.util.Locale.GERMANY);
        try {
            String reason = RebalanceReason.describe(workers(), workers(), Set.of(), 0, List.of(
                    new LoadMove(UnitId.kafka("t", 3), WorkerId.of("wa"), WorkerId.of("wd"), 0.52, 1.63, 0.71)));

            assertThat(reason).isEqualTo("load: wa at 1.63× the fair level; kafka/t/3 (0.520) wa → wd (at 0.71×)");
        } finally {
            java.util.Locale.setDefault(before);
        }
    }

    @Test
    void longListsAreCutWithACount() {
        TreeSet<WorkerId> many = workers("w1", "w2", "w3", "w4", "w5", "w6", "w7");

        assertThat(RebalanceReason.describe(many, workers(), Set.of(), 0, List.of()))
                .isEqualTo("join of w1, w2, w3, w4, w5 and 2 more");
    }

    @Test
    void fiveNamesAreAllNamed() {
        TreeSet<WorkerId> five = workers("w1", "w2", "w3", "w4", "w5");

        assertThat(RebalanceReason.describe(workers(), five, Set.of(), 0, List.of())).isEqualTo("leave of w1, w2, w3, w4, w5");
    }

    @Test
    void movesForLoadPastTheFifthAreCounted() {
        List<LoadMove> moves = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            moves.add(new LoadMove(UnitId.kafka("t", i), WorkerId.of("wa"), WorkerId.of("wb"), 0.25, 1.5, 0.5));
        }

        String five = RebalanceReason.describe(workers(), workers(), Set.of(), 0, moves.subList(0, 5));
        String six = RebalanceReason.describe(workers(), workers(), Set.of(), 0, moves);

        assertThat(five).endsWith("kafka/t/4 (0.250) wa → wb (at 0.50×)");
        assertThat(six).startsWith(five).endsWith(" and 1 more");
    }
}
