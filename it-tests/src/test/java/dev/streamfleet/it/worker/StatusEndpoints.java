package dev.streamfleet.it.worker;

import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.worker.internal.runtime.StreamWorker;
import dev.streamfleet.worker.internal.status.WorkerStatusServer;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.OptionalDouble;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The status endpoints a worker of the test JVM serves as a deployed one does ({@code /health},
 * {@code /metrics}, {@code /api/worker}), on a free local port, read over HTTP.
 */
final class StatusEndpoints implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final WorkerStatusServer server;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private StatusEndpoints(WorkerStatusServer server) {
        this.server = server;
    }

    static StatusEndpoints serving(StreamWorker worker, CheckpointStore store) {
        WorkerStatusServer server = WorkerStatusServer.start("127.0.0.1", 0);
        server.serve(worker, store);
        return new StatusEndpoints(server);
    }

    JsonNode json(String path) throws IOException, InterruptedException {
        return JSON.readTree(get(path));
    }

    /** The value of a Prometheus sample without labels, such as {@code streamfleet_worker_retention_skips_total}. */
    OptionalDouble metric(String name) throws IOException, InterruptedException {
        for (String line : get("/metrics").split("\n")) {
            if (line.startsWith(name + " ")) {
                return OptionalDouble.of(Double.parseDouble(line.substring(name.length() + 1).trim()));
            }
        }
        return OptionalDouble.empty();
    }

    private String get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(server.url() + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException(path + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    @Override
    public void close() {
        server.close();
    }
}
