package dev.streamfleet.worker;

import dev.streamfleet.core.FinishedBeyond;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ParallelismTest {

    @Test
    void theWidestSpanAUnitMayKeepIsTheWidestSetARowMayName() {
        Parallelism widest = new Parallelism(4, Ordering.KEY, Parallelism.MAX_IN_FLIGHT);
        assertThat(widest.maxSpan()).isEqualTo(FinishedBeyond.MAX_END);
        assertThatThrownBy(() -> new Parallelism(4, Ordering.KEY, Parallelism.MAX_IN_FLIGHT + 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxInFlight must be at most 10000000, not 10000001");
    }
}
