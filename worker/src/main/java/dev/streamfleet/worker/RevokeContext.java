package dev.streamfleet.worker;

import dev.streamfleet.core.PublicApi;
import dev.streamfleet.coordinator.RevokeReason;
import dev.streamfleet.core.UnitId;

/**
 * What a processor learns when its unit is taken away while the worker still holds it.
 *
 * @param unit   the shard or partition
 * @param reason {@link RevokeReason#MOVED} when another worker takes the unit over,
 *               {@link RevokeReason#SHUTDOWN} when this worker is leaving the fleet
 */
@PublicApi
public record RevokeContext(UnitId unit, RevokeReason reason) {
}
