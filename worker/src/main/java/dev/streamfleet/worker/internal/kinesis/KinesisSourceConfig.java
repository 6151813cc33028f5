package dev.streamfleet.worker.internal.kinesis;

import dev.streamfleet.core.Position;
import dev.streamfleet.worker.config.FleetConfig;

import java.time.Duration;
import java.util.Objects;

/**
 * How the shards of one Kinesis stream are read.
 *
 * @param stream          the stream name
 * @param initialPosition where a shard without a checkpoint starts: TRIM_HORIZON, LATEST or AT_TIMESTAMP
 * @param limit           the most records one GetRecords call returns (1–10,000)
 * @param polling         how often a shard is read, caught up or not
 */
public record KinesisSourceConfig(String stream, Position initialPosition, int limit, Polling polling) {

    public static final int DEFAULT_LIMIT = FleetConfig.Kinesis.DEFAULT_LIMIT;
    public static final Duration DEFAULT_IDLE_WAIT = Polling.DEFAULT_IDLE_WAIT;

    public KinesisSourceConfig {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(initialPosition, "initialPosition");
        Objects.requireNonNull(polling, "polling");
        if (initialPosition.isRecordPosition()) {
            throw new IllegalArgumentException("the initial position must be TRIM_HORIZON, LATEST or AT_TIMESTAMP");
        }
        if (limit < 1 || limit > 10_000) {
            throw new IllegalArgumentException("limit must be between 1 and 10000, not " + limit);
        }
    }

    /** With a fixed pause after empty reads: {@code idleWait}, never backing off beyond it, at 5 reads a second. */
    public KinesisSourceConfig(String stream, Position initialPosition, int limit, Duration idleWait) {
        this(stream, initialPosition, limit, new Polling(idleWait, idleWait, Polling.DEFAULT_MAX_READS_PER_SECOND));
    }

    public static KinesisSourceConfig of(String stream, Position initialPosition) {
        return new KinesisSourceConfig(stream, initialPosition, DEFAULT_LIMIT, Polling.DEFAULT);
    }
}
