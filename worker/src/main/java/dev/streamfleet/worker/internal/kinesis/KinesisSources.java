package dev.streamfleet.worker.internal.kinesis;

import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.RecordSource;
import dev.streamfleet.worker.RecordSourceFactory;

import java.util.Optional;

import software.amazon.awssdk.services.kinesis.KinesisClient;

/** Opens shard sources of one stream through one shared client. */
public final class KinesisSources implements RecordSourceFactory {

    private final KinesisClient client;
    private final KinesisSourceConfig config;
    private final ShardRanges ranges;

    public KinesisSources(KinesisClient client, KinesisSourceConfig config, ShardRanges ranges) {
        this.client = client;
        this.config = config;
        this.ranges = ranges;
    }

    /** With the shards' ranges listed through the same client. */
    public KinesisSources(KinesisClient client, KinesisSourceConfig config) {
        this(client, config, new ShardRanges(config.stream(), new KinesisDiscovery(client, config.stream())::hashKeyRanges,
                java.time.Clock.systemUTC()));
    }

    @Override
    public RecordSource open(UnitId unit, Optional<Position> resumeAfter) {
        return new KinesisShardSource(client, config, unit, resumeAfter, ranges);
    }
}
