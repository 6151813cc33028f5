package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClusterViewTest {

    private static final WorkerId WORKER = WorkerId.of("wa");
    private static final UnitId UNIT = UnitId.kafka("t", 0);
    private static final SortedSet<WorkerId> WORKERS = new TreeSet<>(Set.of(WORKER));

    private static ClusterView view(Map<WorkerId, Integer> capacities, Map<UnitId, Double> loads) {
        return new ClusterView(WORKERS, Map.of(UNIT, UnitSpec.of(UNIT)), Map.of(), Set.of(), capacities, loads, Map.of(),
                Instant.EPOCH);
    }

    @Test
    void anIdleUnitAndAWorkerOfCapacityOneAreValid() {
        ClusterView view = view(Map.of(WORKER, 1), Map.of(UNIT, 0.0));

        assertThat(view.capacityOf(WORKER)).isEqualTo(1);
        assertThat(view.loads()).containsEntry(UNIT, 0.0);
    }

    @Test
    void aWorkerOfCapacityZeroIsRefusedWithItsName() {
        assertThatThrownBy(() -> view(Map.of(WORKER, 0), Map.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("wa");
    }

    @Test
    void aNegativeLoadIsRefusedWithTheUnitNamed() {
        assertThatThrownBy(() -> view(Map.of(), Map.of(UNIT, -0.1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(UNIT.toString());
    }
}
