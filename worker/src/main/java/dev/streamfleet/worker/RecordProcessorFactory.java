package dev.streamfleet.worker;

import dev.streamfleet.core.PublicApi;
import dev.streamfleet.core.UnitId;

/** Creates one processor per unit. Called on a worker thread; may be called concurrently for different units. */
@FunctionalInterface
@PublicApi
public interface RecordProcessorFactory {

    RecordProcessor create(UnitId unit);
}
