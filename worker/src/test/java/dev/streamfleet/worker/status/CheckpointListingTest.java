package dev.streamfleet.worker.status;

import dev.streamfleet.checkpoint.Checkpoint;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CheckpointListingTest {

    private Instant now = Instant.parse("2026-11-30T00:00:00Z");
    private final Clock clock = new Clock() {
        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };
    private final AtomicInteger listings = new AtomicInteger();
    private final CheckpointListing listing = new CheckpointListing(() -> {
        listings.incrementAndGet();
        return List.<Checkpoint>of();
    }, clock);

    @Test
    void manyOpenPagesCostOneTableListingPerThirtySeconds() {
        for (int refresh = 0; refresh < 60; refresh++) {
            listing.rows();
            now = now.plus(Duration.ofSeconds(1));
        }
        assertThat(listings.get()).as("60 refreshes over a minute").isEqualTo(2);
    }

    @Test
    void nobodyLookingCostsNothing() {
        now = now.plus(Duration.ofHours(1));
        assertThat(listings.get()).isZero();
        listing.rows();
        assertThat(listings.get()).isEqualTo(1);
    }
}
