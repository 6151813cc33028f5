package dev.streamfleet.worker;

import dev.streamfleet.core.PublicApi;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.util.Optional;

/**
 * What a processor learns when its unit starts.
 *
 * @param unit          the shard or partition
 * @param worker        the worker it runs on
 * @param startingAfter the checkpointed position it resumes after; empty when the unit starts
 *                      at its configured initial position
 */
@PublicApi
public record ProcessorContext(UnitId unit, WorkerId worker, Optional<Position> startingAfter) {
}
