package dev.streamfleet.worker.internal.kinesis;

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

    public static final Duration DEFAULT_IDLE_WAIT = Duration.ofMillis(250);
    public static final Duration DEFAULT_IDLE_WAIT_MAX = Duration.ofSeconds(1);
    public static final double DEFAULT_MAX_READS_PER_SECOND = 5;
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
