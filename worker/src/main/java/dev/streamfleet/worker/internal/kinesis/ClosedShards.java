package dev.streamfleet.worker.internal.kinesis;

import dev.streamfleet.coordinator.CoordinatorException;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which of one stream's shards are closed (ListShards gives them an ending sequence number: a
 * split or merge made them parents). The fan-out reader asks when a shard's subscription has
 * caught up and brings nothing, so that a shard end is not missed when the last event carries no
 * child shards. Listed at most every {@link #RELIST_AFTER}; shared by the stream's readers, its one
 * lock owns the listing.
 */
public final class ClosedShards {

    private static final Logger LOG = LoggerFactory.getLogger(ClosedShards.class);
    static final Duration RELIST_AFTER = Duration.ofSeconds(10);

    private final String stream;
    private final Supplier<Set<String>> lister;
    private final Clock clock;
    private Set<String> closed = Set.of();
    private Instant listedAt = Instant.MIN;

    public ClosedShards(String stream, Supplier<Set<String>> lister, Clock clock) {
        this.stream = stream;
        this.lister = lister;
        this.clock = clock;
    }

    /** Whether the shard is closed, as last listed; listed again first if that was long enough ago. */
    public synchronized boolean isClosed(String shardId) {
        if (!closed.contains(shardId) && !clock.instant().isBefore(listedAt.plus(RELIST_AFTER))) {
            listedAt = clock.instant();
            try {
                closed = Set.copyOf(lister.get());
            } catch (RuntimeException e) {
                // Whatever the listing throws, the reader goes on: a closed shard is found at a later listing.
                LOG.warn("the closed shards of stream {} could not be listed: {}; listing again in {} s", stream,
                        e instanceof CoordinatorException ? e.getMessage() : e.toString(), RELIST_AFTER.toSeconds());
            }
        }
        return closed.contains(shardId);
    }
}
