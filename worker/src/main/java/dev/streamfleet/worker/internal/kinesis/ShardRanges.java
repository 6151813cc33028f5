package dev.streamfleet.worker.internal.kinesis;

import dev.streamfleet.coordinator.CoordinatorException;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hash-key ranges of one stream's shards, listed when a shard is first opened on this worker and
 * listed again (at most every 10 s) when a shard is not among them, such as a child after a reshard.
 * Shared by the readers of the stream's units; its one lock owns the listing.
 */
public final class ShardRanges {

    private static final Logger LOG = LoggerFactory.getLogger(ShardRanges.class);
    static final Duration RELIST_AFTER = Duration.ofSeconds(10);

    private final String stream;
    private final Supplier<Map<String, HashKeyRange>> lister;
    private final Clock clock;
    private Map<String, HashKeyRange> ranges = Map.of();
    private Instant listedAt = Instant.MIN;
    private String lastFailure = "";

    public ShardRanges(String stream, Supplier<Map<String, HashKeyRange>> lister, Clock clock) {
        this.stream = stream;
        this.lister = lister;
        this.clock = clock;
    }

    /** The shard's range; empty while the stream's shards cannot be listed, or do not include it. */
    public synchronized Optional<HashKeyRange> of(String shardId) {
        if (!ranges.containsKey(shardId) && !clock.instant().isBefore(listedAt.plus(RELIST_AFTER))) {
            listedAt = clock.instant();
            try {
                ranges = Map.copyOf(lister.get());
                lastFailure = "";
            } catch (CoordinatorException e) {
                lastFailure = e.getMessage();
                LOG.warn("the hash-key ranges of stream {} could not be listed: {}; listing again in {} s", stream,
                        e.getMessage(), RELIST_AFTER.toSeconds());
            }
        }
        return Optional.ofNullable(ranges.get(shardId));
    }

    /** Why {@link #of} has no range for the shard. */
    public synchronized String whyUnknown(String shardId) {
        return "the hash-key range of shard " + shardId + " is not known: "
                + (lastFailure.isEmpty() ? "ListShards does not list it" : lastFailure);
    }
}
