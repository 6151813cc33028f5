package dev.streamfleet.worker.kinesis;

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

    public FanOutSources(KinesisAsyncClient client, KinesisSourceConfig config, FanOut fanOut) {
        this.client = client;
        this.config = config;
        this.consumer = new StreamConsumer(client, config.stream(), fanOut);
    }

    @Override
    public RecordSource open(UnitId unit, Optional<Position> resumeAfter) {
        return new FanOutShardSource(client, consumer, config, unit, resumeAfter);
    }
}
