package dev.streamfleet.worker.kinesis;

import dev.streamfleet.core.Position;

import java.time.Duration;
import java.util.Objects;

/**
 * How the shards of one Kinesis stream are read.
 *
 * @param stream          the stream name
 * @param initialPosition where a shard without a checkpoint starts: TRIM_HORIZON, LATEST or AT_TIMESTAMP
 * @param limit           the most records one GetRecords call returns (1–10,000)
 * @param idleWait        the pause before the next GetRecords when a shard is caught up
 */
public record KinesisSourceConfig(String stream, Position initialPosition, int limit, Duration idleWait) {

    public static final int DEFAULT_LIMIT = 1_000;
    public static final Duration DEFAULT_IDLE_WAIT = Duration.ofMillis(250);
    /** Kinesis allows 5 GetRecords calls per second per shard, shared by every reader of the shard. */
    public static final Duration MIN_FETCH_INTERVAL = Duration.ofMillis(200);

    public KinesisSourceConfig {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(initialPosition, "initialPosition");
        Objects.requireNonNull(idleWait, "idleWait");
        if (initialPosition.isRecordPosition()) {
            throw new IllegalArgumentException("the initial position must be TRIM_HORIZON, LATEST or AT_TIMESTAMP");
        }
        if (limit < 1 || limit > 10_000) {
            throw new IllegalArgumentException("limit must be between 1 and 10000, not " + limit);
        }
        if (idleWait.isNegative()) {
            throw new IllegalArgumentException("idleWait cannot be negative");
        }
    }

    public static KinesisSourceConfig of(String stream, Position initialPosition) {
        return new KinesisSourceConfig(stream, initialPosition, DEFAULT_LIMIT, DEFAULT_IDLE_WAIT);
    }
}
