package dev.streamfleet.worker;

import dev.streamfleet.core.PublicApi;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.util.Optional;

/**
 * What a processor learns when its shard was read to its end.
 *
 * @param unit          the shard
 * @param lastProcessed the last record processed on this worker, empty when there was none
 */
@PublicApi
public record ShardEndContext(UnitId unit, Optional<Position> lastProcessed) {
}
