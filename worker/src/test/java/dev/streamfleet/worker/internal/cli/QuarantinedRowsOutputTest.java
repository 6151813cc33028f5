package dev.streamfleet.worker.internal.cli;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointState;
import dev.streamfleet.coordinator.internal.zk.FleetSnapshot;
import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code checkpoints list} and {@code status} with one row this build does not trust: that unit is
 * shown with its reason, and every other row as always.
 */
class QuarantinedRowsOutputTest {

    private static final UnitId GOOD = UnitId.kinesis("orders", "shardId-000000000000");
    private static final UnitId BAD = UnitId.kinesis("orders", "shardId-000000000001");
    private static final String REASON = "attribute 'pos' is the number 4959, not a position string";
    private static final Instant NOW = Instant.parse("2026-12-07T06:00:00Z");
    private static final List<Checkpoint> ROWS = List.of(
            new Checkpoint(GOOD, Optional.of(Position.Sequence.of("4959")), Optional.empty(), Optional.empty(),
                    CheckpointState.ACTIVE, NOW, FinishedBeyond.NONE),
            Checkpoint.quarantined(BAD, NOW, REASON));

    @Test
    void checkpointsListAsJsonShowsTheQuarantinedRowWithItsReasonBesideTheOthers() throws Exception {
        JsonNode rows = new ObjectMapper().readTree(CheckpointsCommand.List.json(ROWS));

        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).path("position").asText()).isEqualTo("seq:4959");
        assertThat(rows.get(0).has("quarantined")).isFalse();
        assertThat(rows.get(1).path("state").asText()).isEqualTo("QUARANTINED");
        assertThat(rows.get(1).path("quarantined").asText()).isEqualTo(REASON);
        assertThat(rows.get(1).path("position").isNull()).isTrue();
    }

    @Test
    void checkpointsListCountsTheRecordsARowNamesFinishedBeyondItsPosition() throws Exception {
        UnitId started = UnitId.kinesis("orders", "shardId-000000000002");
        FinishedBeyond finished = new FinishedBeyond.Builder().add(1).add(3, 5).build()
                .anchoredAt(Position.Sequence.of("4960"));
        List<Checkpoint> rows = List.of(ROWS.get(0), new Checkpoint(started, Optional.of(Position.TRIM_HORIZON),
                Optional.empty(), Optional.empty(), CheckpointState.ACTIVE, NOW, finished));

        JsonNode json = new ObjectMapper().readTree(CheckpointsCommand.List.json(rows));
        assertThat(json.get(0).path("finishedBeyond").asLong(-1)).isZero();
        assertThat(json.get(1).path("position").asText()).isEqualTo("TRIM_HORIZON");
        assertThat(json.get(1).path("finishedBeyond").asLong()).isEqualTo(3);

        assertThat(CheckpointsCommand.List.text(rows.get(1))).contains("TRIM_HORIZON (+3 finished beyond)");
        assertThat(CheckpointsCommand.List.text(rows.get(0))).contains("seq:4959").doesNotContain("finished beyond");
    }

    @Test
    void statusShowsTheUnitFailedWithTheRowsReasonWhileNoWorkerReportsIt() throws Exception {
        FleetSnapshot fleet = new FleetSnapshot("app", Optional.empty(), 3, List.of(), Map.of(), Map.of());

        String text = StatusCommand.render(fleet, ROWS, Map.of(), NOW);
        assertThat(text).contains("seq:4959").containsPattern(BAD + " +- +FAILED")
                .contains("  checkpoint row quarantined: " + REASON);

        JsonNode json = new ObjectMapper().readTree(StatusCommand.json(fleet, ROWS));
        assertThat(json.path("units").get(1).path("state").asText()).isEqualTo("FAILED");
        assertThat(json.path("units").get(1).path("failure").asText()).isEqualTo("checkpoint row quarantined: " + REASON);
    }
}
