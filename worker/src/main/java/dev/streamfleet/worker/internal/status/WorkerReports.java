package dev.streamfleet.worker.internal.status;

import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Asks every registered worker for its own report ({@code /api/worker}: units, states, rates,
 * lag), all at once and each within the timeout. A worker that does not answer in time, or
 * answers with anything but 200, is left out; so is one whose status URL no request can be made
 * to, which never stops the others from being asked.
 */
public final class WorkerReports {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final Duration timeout;

    public WorkerReports(Duration timeout) {
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /** The reports of the workers that answered. */
    public Map<WorkerId, JsonNode> fetch(List<WorkerInfo> workers) {
        return fetchAll(workers).reports();
    }

    /**
     * The reports of the workers that answered, and the workers that were not asked, with why: a
     * status URL that no request can be made to (not an http or https URL) skips that worker only.
     */
    public Fetched fetchAll(List<WorkerInfo> workers) {
        Map<WorkerId, CompletableFuture<JsonNode>> pending = new HashMap<>();
        Map<WorkerId, String> skipped = new TreeMap<>();
        for (WorkerInfo info : workers) {
            if (info.statusUrl().isBlank()) {
                continue;
            }
            HttpRequest request;
            try {
                URI uri = new URI(info.statusUrl() + "/api/worker");
                request = HttpRequest.newBuilder(uri).timeout(timeout).build();
            } catch (URISyntaxException | IllegalArgumentException e) {
                skipped.put(info.id(), "statusUrl '" + info.statusUrl() + "' is not an http or https URL");
                continue;
            }
            pending.put(info.id(), http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                    .thenApply(response -> {
                        try {
                            return response.statusCode() == 200 ? JSON.readTree(response.body()) : null;
                        } catch (Exception e) {
                            return null;
                        }
                    }).exceptionally(e -> null));
        }
        Map<WorkerId, JsonNode> reports = new HashMap<>();
        // Each request carries the timeout, so every future completes within it.
        pending.forEach((id, future) -> {
            JsonNode report = future.join();
            if (report != null) {
                reports.put(id, report);
            }
        });
        return new Fetched(reports, skipped);
    }

    /**
     * What {@link #fetchAll} found.
     *
     * @param reports each answering worker's report
     * @param skipped the workers not asked, with why
     */
    public record Fetched(Map<WorkerId, JsonNode> reports, Map<WorkerId, String> skipped) {
    }
}
