package dev.streamfleet.worker.internal.status;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.coordinator.ManualScheduler;
import dev.streamfleet.core.MonotonicClock;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CheckpointListingTest {

    private final ManualScheduler time = new ManualScheduler();
    private final AtomicInteger listings = new AtomicInteger();
    private final CheckpointListing listing = new CheckpointListing(() -> {
        listings.incrementAndGet();
        return List.<Checkpoint>of();
    }, MonotonicClock.startingAt(time.clock.instant(), time::nanoTime));

    @Test
    void manyOpenPagesCostOneTableListingPerThirtySeconds() {
        for (int refresh = 0; refresh < 60; refresh++) {
            listing.rows();
            time.advance(Duration.ofSeconds(1));
        }
        assertThat(listings.get()).as("60 refreshes over a minute").isEqualTo(2);
    }

    @Test
    void nobodyLookingCostsNothing() {
        time.advance(Duration.ofHours(1));
        assertThat(listings.get()).isZero();
        listing.rows();
        assertThat(listings.get()).isEqualTo(1);
    }
}
