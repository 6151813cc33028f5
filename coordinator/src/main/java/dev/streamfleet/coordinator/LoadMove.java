package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

/**
 * A unit moved for load, and why: its worker was at {@code fromLevel} times the fleet's fair
 * level, the receiving worker at {@code toLevel}, and the unit weighs {@code load}.
 */
public record LoadMove(UnitId unit, WorkerId from, WorkerId to, double load, double fromLevel, double toLevel) {
}
