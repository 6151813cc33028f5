package dev.streamfleet.coordinator;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UnitStateTest {

    @Test
    void gracefulMoveGoesThroughDrainingToReleased() {
        UnitState state = UnitState.CLAIMING.transitionTo(UnitState.READING)
                .transitionTo(UnitState.PAUSED)
                .transitionTo(UnitState.READING)
                .transitionTo(UnitState.DRAINING)
                .transitionTo(UnitState.RELEASED);

        assertThat(state.isTerminal()).isTrue();
    }

    @Test
    void terminalStatesCannotBeLeft() {
        for (UnitState terminal : new UnitState[] {UnitState.RELEASED, UnitState.LOST, UnitState.ENDED}) {
            for (UnitState next : UnitState.values()) {
                assertThatThrownBy(() -> terminal.transitionTo(next))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessage("Invalid state transition from %s to %s", terminal, next);
            }
        }
    }

    @Test
    void shardEndReachedJustBeforeASuspensionIsNotLost() {
        assertThat(UnitState.PAUSED.transitionTo(UnitState.ENDED)).isEqualTo(UnitState.ENDED);
        assertThatThrownBy(() -> UnitState.CLAIMING.transitionTo(UnitState.ENDED)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void anyLiveStateCanBeLost() {
        for (UnitState live : new UnitState[] {UnitState.CLAIMING, UnitState.READING, UnitState.PAUSED, UnitState.DRAINING}) {
            assertThat(live.transitionTo(UnitState.LOST)).isEqualTo(UnitState.LOST);
        }
    }

    @Test
    void aUnitWhoseRowIsQuarantinedFailsStraightFromClaimingAndIsReleasedWhenRevoked() {
        assertThat(UnitState.CLAIMING.transitionTo(UnitState.FAILED).transitionTo(UnitState.RELEASED))
                .isEqualTo(UnitState.RELEASED);
    }
}
