package dev.streamfleet.worker.internal.status;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.core.MonotonicClock;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;

/**
 * The checkpoint table as the status page shows it, listed at most once per {@link #MAX_AGE}
 * however many pages are open, and only when a page asks: an idle fleet that nobody looks at
 * lists nothing. Positions on the page are therefore up to that old; owners and states come from
 * ZooKeeper and the workers, live. The listing's age runs on a monotonic clock: on the wall clock,
 * a step back of an hour froze the page's positions for an hour. One monitor guards the cached
 * listing.
 */
final class CheckpointListing {

    static final Duration MAX_AGE = Duration.ofSeconds(30);

    private final Supplier<List<Checkpoint>> list;
    private final MonotonicClock clock;
    private List<Checkpoint> rows;
    private Instant listedAt;

    CheckpointListing(Supplier<List<Checkpoint>> list, MonotonicClock clock) {
        this.list = list;
        this.clock = clock;
    }

    /** The rows, listed now if the last listing is older than {@link #MAX_AGE}. */
    synchronized List<Checkpoint> rows() {
        Instant now = clock.instant();
        if (rows == null || Duration.between(listedAt, now).compareTo(MAX_AGE) >= 0) {
            rows = List.copyOf(list.get());
            listedAt = now;
        }
        return rows;
    }
}
