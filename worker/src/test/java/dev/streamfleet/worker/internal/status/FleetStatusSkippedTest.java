package dev.streamfleet.worker.internal.status;

import dev.streamfleet.checkpoint.internal.memory.InMemoryCheckpointTable;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.coordinator.internal.zk.FleetSnapshot;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The leader's page with a worker whose status URL is not one, and znodes that could not be read:
 * that worker's status is skipped with the reason, the nodes are listed, and the rest renders.
 */
class FleetStatusSkippedTest {

    private static WorkerInfo worker(String id, String statusUrl) {
        return new WorkerInfo(WorkerId.of(id), "h-" + id, statusUrl, Instant.parse("2026-12-01T10:00:00Z"), "1.0", 1);
    }

    private static JsonNode workerNode(ObjectNode status, String id) {
        for (JsonNode node : status.path("workers")) {
            if (node.path("id").asText().equals(id)) {
                return node;
            }
        }
        throw new AssertionError("no worker " + id + " in " + status);
    }

    @Test
    void aWorkerWithABadStatusUrlIsShownWithWhyAndTheOthersAsUsual() throws Exception {
        HttpServer good = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4);
        good.createContext("/api/worker", exchange -> {
            byte[] body = ("{\"worker\":\"good\",\"units\":[{\"unit\":\"kafka/orders/0\",\"state\":\"READING\","
                    + "\"recordsPerSecond\":5},{\"unit\":\"not a unit\",\"state\":\"READING\"}]}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        good.start();
        try {
            WorkerId skippedByTheAdapter = WorkerId.of("dropped");
            FleetSnapshot snapshot = new FleetSnapshot("app", Optional.of(WorkerId.of("good")), 4,
                    List.of(worker("good", "http://127.0.0.1:" + good.getAddress().getPort()),
                            worker("bad", "not a url"), worker("dropped", "")),
                    Map.of(WorkerId.of("good"), new java.util.TreeSet<>(List.of(dev.streamfleet.core.UnitId.kafka("orders", 0)))),
                    Map.of(), List.of(
                            new FleetSnapshot.Skipped("/streamfleet/app/workers/dropped", Optional.of(skippedByTheAdapter),
                                    "statusUrl 'gopher://x' is not an http or https URL; its status is not fetched"),
                            new FleetSnapshot.Skipped("/streamfleet/app/ended/not-a-unit", Optional.empty(),
                                    "'not-a-unit' is not a unit id with '~' for '/'")));
            FleetStatus status = new FleetStatus(() -> snapshot, List::of,
                    new InMemoryCheckpointTable().store("app"), Clock.systemUTC());

            ObjectNode document = status.collect();

            assertThat(workerNode(document, "good").path("reachable").asBoolean()).isTrue();
            assertThat(workerNode(document, "good").path("recordsPerSecond").asDouble()).isEqualTo(5.0);
            assertThat(workerNode(document, "bad").path("statusSkipped").asText()).contains("not a url");
            assertThat(workerNode(document, "dropped").path("statusSkipped").asText()).contains("gopher://x");
            assertThat(document.path("skipped")).hasSize(2);
            assertThat(document.path("units").get(0).path("state").asText()).isEqualTo("READING");
            assertThat(StatusPage.render(document)).contains("id=\"skipped\"");
        } finally {
            good.stop(0);
        }
    }
}
