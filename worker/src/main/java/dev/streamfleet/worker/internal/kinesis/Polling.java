package dev.streamfleet.worker.internal.kinesis;

import dev.streamfleet.worker.config.FleetConfig;

import java.time.Duration;
import java.util.Objects;

/**
 * How often a shard is read. Every reader of a shard shares its 5 GetRecords calls a second, so
 * a caught-up shard is read less and less often, from {@code idleWait} after the first empty
 * read, doubling up to {@code idleWaitMax}; once records come again it is read at
 * {@code maxReadsPerSecond}.
 *
 * @param idleWait          the pause after the first empty read
 * @param idleWaitMax       the longest pause between reads of a caught-up shard
 * @param maxReadsPerSecond the most GetRecords calls per second on one shard (at most 5, Kinesis's limit)
 */
public record Polling(Duration idleWait, Duration idleWaitMax, double maxReadsPerSecond) {

    public static final Duration DEFAULT_IDLE_WAIT = FleetConfig.Kinesis.DEFAULT_IDLE_WAIT;
    public static final Duration DEFAULT_IDLE_WAIT_MAX = FleetConfig.Kinesis.DEFAULT_IDLE_WAIT_MAX;
    public static final double DEFAULT_MAX_READS_PER_SECOND = FleetConfig.Kinesis.DEFAULT_MAX_READS_PER_SECOND;
    public static final Polling DEFAULT = new Polling(DEFAULT_IDLE_WAIT, DEFAULT_IDLE_WAIT_MAX, DEFAULT_MAX_READS_PER_SECOND);

    public Polling {
        Objects.requireNonNull(idleWait, "idleWait");
        Objects.requireNonNull(idleWaitMax, "idleWaitMax");
        if (idleWait.isNegative() || idleWaitMax.compareTo(idleWait) < 0) {
            throw new IllegalArgumentException("need 0 <= idleWait <= idleWaitMax, not " + idleWait + " and " + idleWaitMax);
        }
        if (!(maxReadsPerSecond > 0 && maxReadsPerSecond <= 5)) {
            throw new IllegalArgumentException("maxReadsPerSecond must be above 0 and at most 5, not " + maxReadsPerSecond);
        }
    }

    /** The shortest time between two reads of one shard. */
    public Duration interval() {
        return Duration.ofNanos((long) (1e9 / maxReadsPerSecond));
    }
}
