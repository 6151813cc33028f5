package dev.streamfleet.worker.kinesis;

import dev.streamfleet.coordinator.CoordinatorException;
import dev.streamfleet.coordinator.UnitDiscovery;
import dev.streamfleet.coordinator.UnitSpec;
import dev.streamfleet.core.UnitId;

import java.util.ArrayList;
import java.util.List;

import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.Shard;

/** The shards of one Kinesis stream, with their parents, from ListShards (all pages). */
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
        try {
            String token = null;
            do {
                ListShardsRequest request = token == null
                        ? ListShardsRequest.builder().streamName(stream).build()
                        : ListShardsRequest.builder().nextToken(token).build();
                ListShardsResponse response = client.listShards(request);
                for (Shard shard : response.shards()) {
                    List<UnitId> parents = new ArrayList<>();
                    if (shard.parentShardId() != null) {
                        parents.add(UnitId.kinesis(stream, shard.parentShardId()));
                    }
                    if (shard.adjacentParentShardId() != null) {
                        parents.add(UnitId.kinesis(stream, shard.adjacentParentShardId()));
                    }
                    units.add(new UnitSpec(UnitId.kinesis(stream, shard.shardId()), parents, UnitSpec.DEFAULT_WEIGHT));
                }
                token = response.nextToken();
            } while (token != null);
        } catch (ResourceNotFoundException e) {
            throw new CoordinatorException("Kinesis stream " + stream + " does not exist", e);
        } catch (SdkException e) {
            throw new CoordinatorException("listing the shards of Kinesis stream " + stream + " failed: " + e.getMessage(), e);
        }
        return units;
    }
}
