package dev.streamfleet.worker;

import dev.streamfleet.core.PublicApi;
import dev.streamfleet.core.UnitId;

/**
 * What a processor learns when its unit is lost: another worker may own it already.
 *
 * @param unit   the shard or partition
 * @param reason why, in words for a log line: a fenced checkpoint, a lost session, a unit that
 *               failed and was then taken away
 */
@PublicApi
public record LostContext(UnitId unit, String reason) {
}
