package dev.streamfleet.worker.internal.kinesis;

import dev.streamfleet.coordinator.CoordinatorException;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which of one stream's shards are closed (ListShards gives them an ending sequence number: a
 * split or merge made them parents). The fan-out reader asks when a shard's subscription has
 * caught up and brings nothing, so that a shard end is not missed when the last event carries no
 * child shards. An ask never waits for ListShards: it answers from the last listing and, when that
 * is older than {@link #RELIST_AFTER} and none is under way, starts the next one on the listing
 * executor; a reader that finds its shard open asks again at its next caught-up event. So a slow
 * or failing ListShards delays a shard's end, and holds no unit's thread. Shared by the stream's
 * readers; its state is one immutable value, replaced whole.
 */
public final class ClosedShards {

    private static final Logger LOG = LoggerFactory.getLogger(ClosedShards.class);
    static final Duration RELIST_AFTER = Duration.ofSeconds(10);

    /** The last listing's closed shards, when the last listing started, and whether one is under way. */
    private record Listing(Set<String> closed, Instant startedAt, boolean underWay) {
    }

    private final String stream;
    private final Supplier<Set<String>> lister;
    private final Clock clock;
    private final Executor listing;
    private final AtomicReference<Listing> state = new AtomicReference<>(new Listing(Set.of(), Instant.MIN, false));

    /**
     * @param lister  lists the stream's closed shards; may block, and runs on {@code listing}
     * @param listing where the listings run, one at a time
     */
    public ClosedShards(String stream, Supplier<Set<String>> lister, Clock clock, Executor listing) {
        this.stream = stream;
        this.lister = lister;
        this.clock = clock;
        this.listing = listing;
    }

    /** Whether the shard is closed, as last listed; starts a new listing if that was long enough ago. */
    public boolean isClosed(String shardId) {
        Listing last = state.get();
        if (!last.closed().contains(shardId) && !last.underWay()
                && !clock.instant().isBefore(last.startedAt().plus(RELIST_AFTER))) {
            Listing started = new Listing(last.closed(), clock.instant(), true);
            if (state.compareAndSet(last, started)) {
                try {
                    listing.execute(this::list);
                } catch (RejectedExecutionException e) {
                    state.set(new Listing(last.closed(), started.startedAt(), false)); // shutting down
                }
            }
        }
        return state.get().closed().contains(shardId);
    }

    private void list() {
        Set<String> found = null;
        try {
            found = Set.copyOf(lister.get());
        } catch (RuntimeException e) {
            // Whatever the listing throws, the readers go on: a closed shard is found at a later listing.
            LOG.warn("the closed shards of stream {} could not be listed: {}; listing again in {} s", stream,
                    e instanceof CoordinatorException ? e.getMessage() : e.toString(), RELIST_AFTER.toSeconds());
        } finally {
            // Even an Error ends this listing, so that a later ask starts the next one.
            Set<String> listed = found;
            state.updateAndGet(last -> new Listing(listed == null ? last.closed() : listed, last.startedAt(), false));
        }
    }
}
