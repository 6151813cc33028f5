package dev.streamfleet.worker.internal.kinesis;

import dev.streamfleet.worker.config.FanOut;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.RecordSource;
import dev.streamfleet.worker.RecordSourceFactory;

import java.util.Optional;

import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/** Opens enhanced fan-out sources for the shards of one stream, all subscribing as one stream consumer. */
public final class FanOutSources implements RecordSourceFactory {

    private final KinesisAsyncClient client;
    private final KinesisSourceConfig config;
    private final StreamConsumer consumer;
    private final ShardRanges ranges;
    private final ClosedShards closed;

    /**
     * @param ranges the hash-key ranges of the stream's shards (listed with a synchronous client)
     * @param closed which of the stream's shards are closed (listed likewise)
     */
    public FanOutSources(KinesisAsyncClient client, KinesisSourceConfig config, FanOut fanOut, ShardRanges ranges,
                         ClosedShards closed) {
        this.client = client;
        this.config = config;
        this.consumer = new StreamConsumer(client, config.stream(), fanOut);
        this.ranges = ranges;
        this.closed = closed;
    }

    @Override
    public RecordSource open(UnitId unit, Optional<Position> resumeAfter) {
        return new FanOutShardSource(client, consumer, config, unit, resumeAfter, ranges, closed);
    }
}
