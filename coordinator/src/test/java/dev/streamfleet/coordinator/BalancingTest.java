package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BalancingTest {

    private static final UnitId PINNED = UnitId.kafka("t", 0);
    private static final UnitId MEASURED = UnitId.kafka("t", 1);

    @Test
    void aWeightPinnedAtOneIsNotMistakenForNoWeight() {
        Balancing balancing = new Balancing(BalancePolicy.DEFAULT, Map.of(PINNED, 1.0));

        Map<UnitId, Double> loads = balancing.loadsWith(Map.of(PINNED, 0.2, MEASURED, 0.3));

        assertThat(loads).containsEntry(PINNED, 1.0).containsEntry(MEASURED, 0.3);
    }

    @Test
    void aPinnedWeightOfZeroIsRefusedWithTheUnitNamed() {
        assertThatThrownBy(() -> new Balancing(BalancePolicy.DEFAULT, Map.of(PINNED, 0.0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(PINNED.toString());
        assertThatThrownBy(() -> new Balancing(BalancePolicy.DEFAULT, Map.of(PINNED, Double.POSITIVE_INFINITY)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
