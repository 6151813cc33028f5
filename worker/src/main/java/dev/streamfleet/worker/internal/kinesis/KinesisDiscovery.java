package dev.streamfleet.worker.internal.kinesis;

import dev.streamfleet.coordinator.CoordinatorException;
import dev.streamfleet.coordinator.UnitDiscovery;
import dev.streamfleet.coordinator.UnitSpec;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.Shard;

/** The shards of one Kinesis stream, with their parents and hash-key ranges, from ListShards (all pages). */
public final class KinesisDiscovery implements UnitDiscovery {

    /**
     * How far before the leader's clock a LATEST first start is placed: the records that arrive at
     * Kinesis while the fleet starts must not fall before it, whatever the two clocks' skew.
     */
    static final Duration LATEST_MARGIN = Duration.ofSeconds(30);

    private final KinesisClient client;
    private final String stream;
    private final Position initialPosition;
    private final Clock clock;

    public KinesisDiscovery(KinesisClient client, String stream) {
        this(client, stream, Position.TRIM_HORIZON, Clock.systemUTC());
    }

    /** With the source's initial position, which {@link #firstStart} resolves for the first start. */
    public KinesisDiscovery(KinesisClient client, String stream, Position initialPosition, Clock clock) {
        this.client = client;
        this.stream = stream;
        this.initialPosition = initialPosition;
        this.clock = clock;
    }

    /**
     * LATEST becomes the arrival time it stands for (less {@link #LATEST_MARGIN}), which every
     * owner's AT_TIMESTAMP read finds alike; a shard read from there delivers the records of the
     * fleet's first seconds too, never fewer. TRIM_HORIZON and a timestamp stay as configured, but
     * are stored too: a checkpoint of records finished beyond the start, before the first record
     * is, names the start it counts from, which must be the row's.
     */
    @Override
    public Optional<Position> firstStart(UnitId unit) {
        if (initialPosition instanceof Position.Latest) {
            return Optional.of(new Position.AtTimestamp(clock.instant().minus(LATEST_MARGIN)));
        }
        return Optional.of(initialPosition);
    }

    @Override
    public List<UnitSpec> discover() {
        List<UnitSpec> units = new ArrayList<>();
        for (Shard shard : shards()) {
            List<UnitId> parents = new ArrayList<>();
            if (shard.parentShardId() != null) {
                parents.add(UnitId.kinesis(stream, shard.parentShardId()));
            }
            if (shard.adjacentParentShardId() != null) {
                parents.add(UnitId.kinesis(stream, shard.adjacentParentShardId()));
            }
            units.add(new UnitSpec(UnitId.kinesis(stream, shard.shardId()), parents, UnitSpec.DEFAULT_WEIGHT));
        }
        return units;
    }

    /** The hash-key range of every shard of the stream, open or closed, by shard id. */
    public Map<String, HashKeyRange> hashKeyRanges() {
        Map<String, HashKeyRange> ranges = new HashMap<>();
        for (Shard shard : shards()) {
            ranges.put(shard.shardId(), new HashKeyRange(new BigInteger(shard.hashKeyRange().startingHashKey()),
                    new BigInteger(shard.hashKeyRange().endingHashKey())));
        }
        return ranges;
    }

    /**
     * The shards of the stream that are closed: ListShards gives them an ending sequence number
     * (their parents' role after a split or merge), so no record will be added to them.
     */
    public java.util.Set<String> closedShards() {
        java.util.Set<String> closed = new java.util.HashSet<>();
        for (Shard shard : shards()) {
            if (shard.sequenceNumberRange() != null && shard.sequenceNumberRange().endingSequenceNumber() != null) {
                closed.add(shard.shardId());
            }
        }
        return closed;
    }

    private List<Shard> shards() {
        List<Shard> shards = new ArrayList<>();
        try {
            String token = null;
            do {
                ListShardsRequest request = token == null
                        ? ListShardsRequest.builder().streamName(stream).build()
                        : ListShardsRequest.builder().nextToken(token).build();
                ListShardsResponse response = client.listShards(request);
                shards.addAll(response.shards());
                token = response.nextToken();
            } while (token != null);
        } catch (ResourceNotFoundException e) {
            throw new CoordinatorException("Kinesis stream " + stream + " does not exist", e);
        } catch (SdkException e) {
            throw new CoordinatorException("listing the shards of Kinesis stream " + stream + " failed: " + e.getMessage(), e);
        }
        return shards;
    }
}
