package dev.streamfleet.worker;

import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.util.Optional;

/** Opens the record source of a unit, resuming after a checkpointed position or at the configured start. */
@FunctionalInterface
public interface RecordSourceFactory {

    RecordSource open(UnitId unit, Optional<Position> resumeAfter);
}
