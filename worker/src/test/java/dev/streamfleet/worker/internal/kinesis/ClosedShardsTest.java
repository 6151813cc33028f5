package dev.streamfleet.worker.internal.kinesis;

import java.time.Clock;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Review 26: the fan-out reader asks ClosedShards on the unit's own message (a thread of the
 * worker's shared unit pool, 8 by default) at every caught-up event of every open shard. A slow
 * ListShards (up to the polling client's 10 s attempt timeout) then holds every other unit of the
 * stream that asks meanwhile, and with them the pool threads that run every unit's messages
 * (revokes included).
 */
class ClosedShardsTest {

    @Test
    void aSlowListingDoesNotHoldAnotherUnitThatAsksMeanwhile() throws Exception {
        CountDownLatch listing = new CountDownLatch(1);
        CountDownLatch slowListingMayEnd = new CountDownLatch(1);
        ClosedShards closed = new ClosedShards("s", () -> {
            listing.countDown();
            try {
                slowListingMayEnd.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Set.of();
        }, Clock.systemUTC());
        ExecutorService units = Executors.newFixedThreadPool(2);
        try {
            CompletableFuture<Boolean> first = CompletableFuture.supplyAsync(() -> closed.isClosed("shardId-000000000000"), units);
            assertThat(listing.await(5, TimeUnit.SECONDS)).as("the first unit is listing").isTrue();

            CompletableFuture<Boolean> second = CompletableFuture.supplyAsync(() -> closed.isClosed("shardId-000000000001"), units);

            assertThat(second).as("another unit's caught-up event while the listing is slow")
                    .succeedsWithin(java.time.Duration.ofMillis(500));
            assertThat(first).isNotDone();
        } finally {
            slowListingMayEnd.countDown();
            units.shutdownNow();
        }
    }
}
