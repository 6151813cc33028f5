package dev.streamfleet.worker.internal.kinesis;

import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Where a shard of the application's first start begins: a LATEST that every later owner finds alike. */
class KinesisDiscoveryTest {

    private static final UnitId SHARD = UnitId.kinesis("orders", "shardId-000000000000");
    private static final Instant NOW = Instant.parse("2026-12-07T01:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @Test
    void latestIsResolvedToAnArrivalTimeBeforeTheLeadersClockSoThatNoOwnerStartsLaterThanTheFirst() {
        KinesisDiscovery discovery = new KinesisDiscovery(null, "orders", Position.LATEST, CLOCK);

        assertThat(discovery.firstStart(SHARD)).contains(new Position.AtTimestamp(NOW.minus(KinesisDiscovery.LATEST_MARGIN)));
    }

    /** Stored in the row, the start is what a checkpoint of records finished beyond it counts from. */
    @Test
    void aStartThatDoesNotMoveWithTimeIsStoredAsConfigured() {
        assertThat(new KinesisDiscovery(null, "orders", Position.TRIM_HORIZON, CLOCK).firstStart(SHARD))
                .contains(Position.TRIM_HORIZON);
        assertThat(new KinesisDiscovery(null, "orders", new Position.AtTimestamp(NOW), CLOCK).firstStart(SHARD))
                .contains(new Position.AtTimestamp(NOW));
    }
}
