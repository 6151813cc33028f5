package dev.streamfleet.worker.internal.kinesis;

import dev.streamfleet.coordinator.CoordinatorException;
import dev.streamfleet.coordinator.UnitDiscovery;
import dev.streamfleet.coordinator.UnitSpec;
import dev.streamfleet.core.UnitId;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.Shard;

/** The shards of one Kinesis stream, with their parents and hash-key ranges, from ListShards (all pages). */
public final class KinesisDiscovery implements UnitDiscovery {

    private final KinesisClient client;
    private final String stream;

    public KinesisDiscovery(KinesisClient client, String stream) {
        this.client = client;
        this.stream = stream;
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
