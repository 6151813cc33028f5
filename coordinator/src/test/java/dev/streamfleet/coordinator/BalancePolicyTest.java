package dev.streamfleet.coordinator;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BalancePolicyTest {

    @Test
    void theEdgeOfEveryRangeIsAllowed() {
        BalancePolicy strictest = new BalancePolicy(1.0, 1.0, 1.0, Duration.ZERO, 0.0, 0.0);

        assertThat(strictest.trigger()).as("a trigger equal to a target of 1").isEqualTo(1.0);
        assertThat(strictest.maxMovedShare()).as("every unit may move").isEqualTo(1.0);
        assertThat(strictest.minGain()).isZero();
        assertThat(strictest.idleBelow()).isZero();
    }

    @Test
    void aTriggerOfTwiceTheLevelIsRefused() {
        assertThatThrownBy(() -> new BalancePolicy(2.0, 1.5, 0.25, Duration.ZERO, 0.01, 0.01))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trigger < 2");
    }

    @Test
    void aShareOfNoUnitsIsRefused() {
        assertThatThrownBy(() -> new BalancePolicy(1.25, 1.10, 0.0, Duration.ZERO, 0.01, 0.01))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxMovedShare");
    }

    @Test
    void aTargetBelowOneOrAboveTheTriggerIsRefused() {
        assertThatThrownBy(() -> new BalancePolicy(1.25, 0.9, 0.25, Duration.ZERO, 0.01, 0.01))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BalancePolicy(1.1, 1.2, 0.25, Duration.ZERO, 0.01, 0.01))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
