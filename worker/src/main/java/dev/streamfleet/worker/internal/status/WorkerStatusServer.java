package dev.streamfleet.worker.internal.status;

import dev.streamfleet.coordinator.UnitState;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.internal.runtime.StreamWorker;
import dev.streamfleet.worker.UnitMetricsSnapshot;
import dev.streamfleet.worker.config.FleetConfig;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A worker's own read-only endpoints: {@code /health} (live, and ready once it has joined the
 * fleet), {@code /metrics} (Prometheus text) and {@code /api/worker} (its units and their
 * states). It starts before the worker joins, so its URL can be published in the worker's
 * registration. Binds to the configured address, 127.0.0.1 by default.
 */
public final class WorkerStatusServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final java.time.Duration PROXY_TIMEOUT = java.time.Duration.ofSeconds(3);

    private final HttpServer server;
    private final String advertise;
    private final FleetConfig.LeaderPage leaderPage;
    private final HttpClient proxyClient;
    private final AtomicReference<StreamWorker> worker = new AtomicReference<>();
    private final AtomicReference<FleetStatus> fleet = new AtomicReference<>();
    private final OwnHistory history = new OwnHistory();
    private final java.util.concurrent.ScheduledExecutorService sampler =
            Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "streamfleet-status-sampler");
                thread.setDaemon(true);
                return thread;
            });

    /** Made on the first scrape, not while the worker starts. */
    private static final class Prometheus {
        static final PrometheusText TEXT = PrometheusText.withJvmMetrics();
    }

    private WorkerStatusServer(HttpServer server, String advertise, FleetConfig.LeaderPage leaderPage) {
        this.server = server;
        this.advertise = advertise;
        this.leaderPage = leaderPage;
        this.proxyClient = leaderPage == FleetConfig.LeaderPage.PROXY
                ? HttpClient.newBuilder().connectTimeout(PROXY_TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build()
                : null;
    }

    public static WorkerStatusServer start(String bind, int port) {
        return start(new FleetConfig.Status(bind, port));
    }

    /** Listens as configured: address, port, the address it is known by, and how it answers for the leader. */
    public static WorkerStatusServer start(FleetConfig.Status config) {
        String bind = config.bind();
        int port = config.port();
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(bind, port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + bind + ":" + port + " for the status endpoints: "
                    + e.getMessage(), e);
        }
        WorkerStatusServer status = new WorkerStatusServer(server, config.advertise(), config.leaderPage());
        server.createContext("/health", status::health);
        server.createContext("/metrics", status::metrics);
        server.createContext("/api/worker", status::apiWorker);
        server.createContext("/api/status", status::apiStatus);
        server.createContext("/", status::page);
        server.setExecutor(Executors.newFixedThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "streamfleet-status");
            thread.setDaemon(true);
            return thread;
        }));
        server.start();
        return status;
    }

    /**
     * Where the endpoints answer for other workers, such as {@code http://127.0.0.1:41234}: the
     * advertised host when one is configured, else the bound address (for a wildcard bind, the
     * host's own address).
     */
    public String url() {
        InetSocketAddress address = server.getAddress();
        String host = !advertise.isEmpty() ? advertise
                : address.getAddress().isAnyLocalAddress() ? ownAddress() : address.getAddress().getHostAddress();
        if (host.contains(":") && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        return "http://" + host + ":" + address.getPort();
    }

    /**
     * For a wildcard bind: the address this host's name resolves to, which in a container or
     * pod is its own network address; 127.0.0.1 when that is a loopback address.
     */
    private static String ownAddress() {
        try {
            java.net.InetAddress local = java.net.InetAddress.getLocalHost();
            return local.isLoopbackAddress() ? "127.0.0.1" : local.getHostAddress();
        } catch (IOException e) {
            return "127.0.0.1";
        }
    }

    /**
     * The worker has joined; the endpoints report on it from now on. It samples its own throughput
     * every 5 s for the chart; while it leads, it also serves the fleet's page.
     */
    public void serve(StreamWorker joined, dev.streamfleet.checkpoint.CheckpointStore store) {
        worker.set(joined);
        fleet.set(new FleetStatus(joined, store, java.time.Clock.systemUTC()));
        com.codahale.metrics.Meter records = joined.metrics().meter("streamfleet.worker.records");
        // Guarded: a sample that throws is reported (a point missed), and the next one still comes in 5 s.
        sampler.scheduleAtFixedRate(joined.unitTaskFailures().guard(() ->
                history.sample(java.time.Instant.now(), records.getCount(), joined.unitMetrics().values())),
                0, OwnHistory.INTERVAL.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private void page(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestURI().getPath().equals("/")) {
            send(exchange, 404, "text/plain", "not found".getBytes(StandardCharsets.UTF_8));
            return;
        }
        leaderOnly(exchange, status -> StatusPage.render(status).getBytes(StandardCharsets.UTF_8), "text/html; charset=utf-8");
    }

    private void apiStatus(HttpExchange exchange) throws IOException {
        leaderOnly(exchange, JSON::writeValueAsBytes, "application/json");
    }

    /** Serves the fleet's status on the leader; elsewhere redirects to the leader or relays its answer. */
    private void leaderOnly(HttpExchange exchange, Renderer renderer, String type) throws IOException {
        StreamWorker current = worker.get();
        FleetStatus status = fleet.get();
        if (current == null || status == null) {
            unavailable(exchange, type, "this worker has not joined its fleet yet");
            return;
        }
        if (current.isLeader()) {
            send(exchange, 200, type, renderer.render(status.collect()));
            return;
        }
        var snapshot = current.fleet();
        var leaderUrl = snapshot.leader().flatMap(id -> snapshot.workers().stream().filter(w -> w.id().equals(id))
                .map(w -> w.statusUrl()).filter(url -> !url.isBlank()).findFirst());
        if (leaderUrl.isEmpty()) {
            var unusable = snapshot.leader().flatMap(snapshot::statusProblem);
            unavailable(exchange, type, unusable.map(reason -> "the leader's page cannot be reached: " + reason)
                    .orElse("no leader right now; retry in a few seconds"));
            return;
        }
        String target = leaderUrl.get() + exchange.getRequestURI().getPath();
        if (leaderPage == FleetConfig.LeaderPage.REDIRECT) {
            exchange.getResponseHeaders().set("Location", target);
            exchange.sendResponseHeaders(302, -1);
            exchange.close();
            return;
        }
        relay(exchange, target, type);
    }

    /** Fetches the leader's answer and passes it on, so that one address in front of all workers shows the fleet. */
    private void relay(HttpExchange exchange, String target, String type) throws IOException {
        HttpResponse<byte[]> answer;
        try {
            answer = proxyClient.send(HttpRequest.newBuilder(URI.create(target)).timeout(PROXY_TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IllegalArgumentException e) {
            send(exchange, 502, "text/plain", ("the leader's page at " + target + " cannot be asked: " + e.getMessage())
                    .getBytes(StandardCharsets.UTF_8));
            return;
        } catch (IOException e) {
            send(exchange, 502, "text/plain", ("the leader at " + target + " did not answer: " + e.getMessage()
                    + "; retry in a few seconds").getBytes(StandardCharsets.UTF_8));
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            send(exchange, 503, "text/plain", "interrupted".getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (answer.statusCode() == 302 || answer.statusCode() == 503) {
            // The leader changed while we asked; the caller's next refresh finds the new one.
            unavailable(exchange, type, "the leader is changing; retry in a few seconds");
            return;
        }
        exchange.getResponseHeaders().set("X-Streamfleet-Leader", target);
        send(exchange, answer.statusCode(), answer.headers().firstValue("Content-Type").orElse("text/plain"), answer.body());
    }

    /**
     * 503 with the reason: as text for the API, and for the page as HTML that loads the page again
     * in 2 s, so that a reader who arrives while the leader changes gets the fleet's page by itself.
     */
    private static void unavailable(HttpExchange exchange, String type, String reason) throws IOException {
        if (type.startsWith("text/html")) {
            send(exchange, 503, "text/html; charset=utf-8", ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                    + "<meta http-equiv=\"refresh\" content=\"2\"><title>streamfleet</title></head><body><p id=\"unavailable\">"
                    + StatusPage.escape(reason) + " (this page tries again every 2 s)</p></body></html>")
                    .getBytes(StandardCharsets.UTF_8));
        } else {
            send(exchange, 503, "text/plain", reason.getBytes(StandardCharsets.UTF_8));
        }
    }

    @FunctionalInterface
    private interface Renderer {
        byte[] render(ObjectNode status) throws IOException;
    }

    private void health(HttpExchange exchange) throws IOException {
        StreamWorker current = worker.get();
        ObjectNode body = JSON.createObjectNode().put("live", true).put("ready", current != null);
        if (current != null) {
            body.put("worker", current.id().value()).put("units", current.units().size());
            // Still 200: restarting the worker would only move a failing or stuck unit to another one. Alert on these
            // lists, on streamfleet_worker_units_failed and _stalled, or with 'streamfleet health --strict'.
            ArrayNode failed = body.putArray("failed");
            new TreeMap<>(current.failures()).forEach((unit, reason) ->
                    failed.addObject().put("unit", unit.toString()).put("reason", reason));
            ArrayNode stalled = body.putArray("stalled");
            new TreeMap<>(current.stalled()).forEach((unit, reason) ->
                    stalled.addObject().put("unit", unit.toString()).put("reason", reason));
            ArrayNode retrying = body.putArray("retrying");
            new TreeMap<>(current.retrying()).forEach((unit, reason) ->
                    retrying.addObject().put("unit", unit.toString()).put("reason", reason));
            // Records the stream dropped before they were read: nobody can process them; nobody may miss it either.
            ArrayNode skipped = body.putArray("retentionSkips");
            new TreeMap<>(current.retentionSkips()).forEach((unit, reason) ->
                    skipped.addObject().put("unit", unit.toString()).put("reason", reason));
            // Background tasks that threw (each logged at ERROR) and ZooKeeper nodes skipped as unreadable (each
            // logged at WARN): never silent, and still 200, as a restart would not mend either.
            var taskFailures = current.taskFailures();
            body.put("taskFailures", taskFailures.count());
            taskFailures.last().ifPresent(last -> body.put("lastTaskFailure", last.toString()));
            body.put("skippedZnodes", current.skippedNodes());
        }
        send(exchange, current != null ? 200 : 503, "application/json", JSON.writeValueAsBytes(body));
    }

    private void metrics(HttpExchange exchange) throws IOException {
        StreamWorker current = worker.get();
        PrometheusText prometheus = Prometheus.TEXT;
        byte[] text = current == null ? prometheus.render(new com.codahale.metrics.MetricRegistry(), java.util.List.of())
                : prometheus.render(current.metrics(), current.unitMetrics().values());
        send(exchange, 200, prometheus.contentType(), text);
    }

    private void apiWorker(HttpExchange exchange) throws IOException {
        StreamWorker current = worker.get();
        if (current == null) {
            send(exchange, 503, "application/json", "{\"ready\":false}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        ObjectNode body = JSON.createObjectNode().put("worker", current.id().value()).put("leader", current.isLeader());
        ArrayNode points = body.putArray("history");
        history.points().forEach(point -> points.add(point.toJson()));
        ArrayNode units = body.putArray("units");
        Map<UnitId, UnitState> states = new TreeMap<>(current.units());
        Map<UnitId, String> failures = current.failures();
        Map<UnitId, String> stalled = current.stalled();
        Map<UnitId, String> retrying = current.retrying();
        Map<UnitId, String> retentionSkips = current.retentionSkips();
        Map<UnitId, UnitMetricsSnapshot> metrics = current.unitMetrics();
        Map<UnitId, dev.streamfleet.coordinator.UnitLoad> loads = current.loads();
        states.forEach((unit, state) -> {
            ObjectNode node = units.addObject().put("unit", unit.toString()).put("state", state.name());
            if (loads.containsKey(unit)) {
                node.put("load", loads.get(unit).load());
            }
            UnitMetricsSnapshot unitMetrics = metrics.get(unit);
            if (unitMetrics != null) {
                node.put("records", unitMetrics.records()).put("recordsPerSecond", unitMetrics.recordsPerSecond());
                if (unitMetrics.deadLettered() > 0) {
                    node.put("deadLettered", unitMetrics.deadLettered());
                }
                unitMetrics.millisBehindLatest().ifPresent(millis -> node.put("millisBehindLatest", millis));
                unitMetrics.offsetLag().ifPresent(offsets -> node.put("offsetLag", offsets));
                unitMetrics.lanes().ifPresent(lanes -> node.put("inFlight", lanes.inFlight())
                        .put("busyLanes", lanes.busyLanes())
                        .put("finishedBeyondWatermark", lanes.finishedBeyondWatermark()));
            }
            if (stalled.containsKey(unit)) {
                node.put("stalled", stalled.get(unit));
            }
            if (retrying.containsKey(unit)) {
                node.put("retrying", retrying.get(unit));
            }
            if (retentionSkips.containsKey(unit)) {
                node.put("retentionSkipped", retentionSkips.get(unit));
            }
            if (failures.containsKey(unit)) {
                node.put("failure", failures.get(unit));
            }
        });
        send(exchange, 200, "application/json", JSON.writeValueAsBytes(body));
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
            exchange.sendResponseHeaders(405, -1);
            exchange.close();
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        sampler.shutdownNow();
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
