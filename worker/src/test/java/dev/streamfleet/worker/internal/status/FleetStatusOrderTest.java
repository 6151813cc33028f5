package dev.streamfleet.worker.internal.status;

import dev.streamfleet.core.UnitId;

import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FleetStatusOrderTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode report(String state, String stalled) {
        var node = JSON.createObjectNode().put("state", state);
        if (stalled != null) {
            node.put("stalled", stalled);
        }
        return node;
    }

    @Test
    void aFailedOrStalledUnitIsNotBuriedAmongAThousandHealthyOnes() {
        UnitId a = UnitId.kafka("orders", 0);
        UnitId b = UnitId.kafka("orders", 1);
        UnitId c = UnitId.kafka("orders", 2);
        UnitId d = UnitId.kafka("orders", 3);
        Map<UnitId, JsonNode> reports = Map.of(a, report("READING", null), b, report("READING", "no record processed"),
                c, report("READING", null), d, report("FAILED", null));

        assertThat(FleetStatus.attentionFirst(List.of(a, b, c, d), reports, Set.of())).containsExactly(d, b, a, c);
    }

    @Test
    void aUnitWhoseCheckpointRowIsQuarantinedLeadsEvenWhenNoWorkerReportsIt() {
        UnitId a = UnitId.kafka("orders", 0);
        UnitId b = UnitId.kafka("orders", 1);
        UnitId c = UnitId.kafka("orders", 2);
        Map<UnitId, JsonNode> reports = Map.of(a, report("READING", null), b, report("READING", "no record processed"));

        assertThat(FleetStatus.attentionFirst(List.of(a, b, c), reports, Set.of(c))).containsExactly(c, b, a);
    }

    @Test
    void aUnitRetryingItsCheckpointWritesLeadsAsAStalledOneDoes() {
        UnitId a = UnitId.kafka("orders", 0);
        UnitId b = UnitId.kafka("orders", 1);
        Map<UnitId, JsonNode> reports = Map.of(a, report("READING", null), b, JSON.createObjectNode().put("state", "READING")
                .put("retrying", "checkpoint write not answered for 2 s"));

        assertThat(FleetStatus.attentionFirst(List.of(a, b), reports, Set.of())).containsExactly(b, a);
    }

    @Test
    void aUnitWhoseReadsSkippedRecordsNoLongerRetainedLeadsAsAStalledOneDoes() {
        UnitId a = UnitId.kafka("orders", 0);
        UnitId b = UnitId.kafka("orders", 1);
        Map<UnitId, JsonNode> reports = Map.of(a, report("READING", null), b, JSON.createObjectNode().put("state", "READING")
                .put("retentionSkipped", "1 read skipped records no longer retained; the last: offset 3 is gone"));

        assertThat(FleetStatus.attentionFirst(List.of(a, b), reports, Set.of())).containsExactly(b, a);
    }
}
