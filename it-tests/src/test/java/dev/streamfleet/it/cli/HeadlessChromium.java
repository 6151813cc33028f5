package dev.streamfleet.it.cli;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import static org.awaitility.Awaitility.await;

/**
 * One page open in Debian's chromium, headless, that a test reads and drives while it stays
 * open: expressions are evaluated in the page over the DevTools protocol (a WebSocket on a port
 * chromium picks and writes into its profile directory). Stopped by its own pid.
 */
final class HeadlessChromium implements AutoCloseable {

    static final Path BINARY = Path.of("/usr/bin/chromium");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(20);

    private final Process process;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

    private HeadlessChromium(Process process, WebSocket.Builder builder, URI page) {
        this.process = process;
        this.socket = builder.buildAsync(page, new Listener()).orTimeout(30, TimeUnit.SECONDS).join();
    }

    /** Opens the URL in a window of the given size. */
    static HeadlessChromium open(String url, Path dir, int width, int height) throws IOException {
        Path profile = Files.createTempDirectory(Files.createDirectories(dir), "chromium-");
        Process process = new ProcessBuilder(List.of(BINARY.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--remote-debugging-port=0",
                "--remote-allow-origins=*", "--window-size=" + width + "," + height, url))
                .redirectOutput(dir.resolve(profile.getFileName() + ".log").toFile()).redirectErrorStream(true).start();
        try {
            Path portFile = profile.resolve("DevToolsActivePort");
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(portFile) && Files.readAllLines(portFile).size() >= 1);
            int port = Integer.parseInt(Files.readAllLines(portFile).get(0).strip());
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            JsonNode page = await().atMost(Duration.ofSeconds(30)).until(() -> {
                HttpResponse<String> list = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                for (JsonNode target : JSON.readTree(list.body())) {
                    if (target.path("type").asText().equals("page")) {
                        return target;
                    }
                }
                return null;
            }, java.util.Objects::nonNull);
            return new HeadlessChromium(process, http.newWebSocketBuilder(), URI.create(page.path("webSocketDebuggerUrl").asText()));
        } catch (RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
    }

    /** The value of a JavaScript expression in the page (a promise is awaited), as JSON. */
    JsonNode evaluate(String expression) {
        var params = JSON.createObjectNode().put("expression", expression).put("returnByValue", true).put("awaitPromise", true);
        JsonNode result = call("Runtime.evaluate", params);
        if (result.has("exceptionDetails")) {
            throw new AssertionError("the page could not evaluate " + expression + ": " + result);
        }
        return result.path("result").path("value");
    }

    /**
     * Formats numbers, dates and text for the page's scripts as in the given locale (such as
     * {@code de-DE}, which writes decimal commas) from the next load of the page on.
     */
    void emulateLocale(String locale) {
        call("Emulation.setLocaleOverride", JSON.createObjectNode().put("locale", locale));
    }

    private JsonNode call(String method, JsonNode params) {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        var call = JSON.createObjectNode().put("id", id).put("method", method).set("params", params);
        socket.sendText(call.toString(), true).orTimeout(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS).join();
        JsonNode result = answer.orTimeout(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS).join();
        if (result.has("error")) {
            throw new AssertionError("chromium refused " + method + ": " + result.path("error"));
        }
        return result.path("result");
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder message = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            message.append(data);
            if (last) {
                try {
                    JsonNode node = JSON.readTree(message.toString());
                    CompletableFuture<JsonNode> answer = pending.remove(node.path("id").asInt(-1));
                    if (answer != null) {
                        answer.complete(node);
                    }
                } catch (IOException e) {
                    // Not an answer to a call of ours.
                }
                message.setLength(0);
            }
            webSocket.request(1);
            return null;
        }
    }

    @Override
    public void close() throws InterruptedException {
        socket.abort();
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
