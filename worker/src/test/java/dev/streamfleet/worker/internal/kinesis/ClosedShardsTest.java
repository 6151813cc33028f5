package dev.streamfleet.worker.internal.kinesis;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fan-out readers ask on their units' own threads, at every caught-up event; ListShards may
 * be slow (up to the client's 10 s attempt) or fail. An ask must never wait for it.
 */
class ClosedShardsTest {

    private final List<Runnable> listings = new ArrayList<>();
    private final AtomicInteger listed = new AtomicInteger();
    private Set<String> closedNow = Set.of();
    private Instant now = Instant.parse("2026-12-07T00:00:00Z");

    private final ClosedShards closed = new ClosedShards("s", () -> {
        listed.incrementAndGet();
        return closedNow;
    }, closedClock(), listings::add);

    @Test
    void anAskWhileAListingIsUnderWayAnswersAtOnceFromTheLastListingAndStartsNoSecond() {
        closedNow = Set.of("shardId-000000000000");

        assertThat(closed.isClosed("shardId-000000000000")).as("nothing listed yet").isFalse();
        assertThat(closed.isClosed("shardId-000000000001")).isFalse();
        assertThat(listings).as("one listing started, not run on the asking threads").hasSize(1);
        assertThat(listed).hasValue(0);

        listings.remove(0).run();

        assertThat(closed.isClosed("shardId-000000000000")).isTrue();
        assertThat(listed).hasValue(1);
    }

    @Test
    void anOpenShardIsListedAgainOnlyAfterTheRelistInterval() {
        closed.isClosed("shardId-000000000000");
        listings.remove(0).run();

        closedNow = Set.of("shardId-000000000000");
        now = now.plus(ClosedShards.RELIST_AFTER.minus(Duration.ofMillis(1)));
        assertThat(closed.isClosed("shardId-000000000000")).isFalse();
        assertThat(listings).isEmpty();

        now = now.plus(Duration.ofMillis(1));
        closed.isClosed("shardId-000000000000");
        assertThat(listings).hasSize(1);
        listings.remove(0).run();
        assertThat(closed.isClosed("shardId-000000000000")).isTrue();
    }

    @Test
    void aListingThatFailsStartsNoSecondAtOnceAndTheNextAfterTheIntervalFindsTheShard() {
        AtomicInteger calls = new AtomicInteger();
        ClosedShards flaky = new ClosedShards("s", () -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("paginator broke");
            }
            return Set.of("shardId-000000000000");
        }, closedClock(), Runnable::run);

        assertThat(flaky.isClosed("shardId-000000000000")).isFalse();
        assertThat(flaky.isClosed("shardId-000000000000")).as("no listing again at once").isFalse();
        assertThat(calls).hasValue(1);

        now = now.plus(ClosedShards.RELIST_AFTER);
        assertThat(flaky.isClosed("shardId-000000000000")).isTrue();
        assertThat(calls).hasValue(2);
    }

    @Test
    void aListingThatDiesWithAnErrorStillLetsTheNextOneStart() {
        AtomicInteger calls = new AtomicInteger();
        List<Runnable> runs = new ArrayList<>();
        ClosedShards dying = new ClosedShards("s", () -> {
            if (calls.incrementAndGet() == 1) {
                throw new ExceptionInInitializerError("a codec failed to load");
            }
            return Set.of("shardId-000000000000");
        }, closedClock(), runs::add);

        dying.isClosed("shardId-000000000000");
        try {
            runs.remove(0).run();
        } catch (ExceptionInInitializerError expected) {
            // The listing thread dies with it.
        }
        now = now.plus(ClosedShards.RELIST_AFTER);
        dying.isClosed("shardId-000000000000");
        assertThat(runs).as("the next listing started").hasSize(1);
        runs.remove(0).run();
        assertThat(dying.isClosed("shardId-000000000000")).isTrue();
    }

    /** A clock that reads {@link #now}, which the tests move. */
    private Clock closedClock() {
        return new Clock() {
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
    }
}
