package dev.streamfleet.worker.internal.cli;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code streamfleet health}: asks a worker's {@code /health} whether it has joined its fleet.
 * For container health checks and init systems, which need an exit code and no HTTP client.
 */
@Command(name = "health", mixinStandardHelpOptions = true,
        description = "Exits 0 when the worker at --url answers /health with 200 (it has joined its fleet), 1 otherwise;"
                + " with --strict, also 1 when any of its units is FAILED or STALLED.")
public final class HealthCommand implements Callable<Integer> {

    /** The port the container image sets (STREAMFLEET_STATUS_PORT). */
    static final String DEFAULT_URL = "http://127.0.0.1:8080";

    @Option(names = "--url", description = "the worker's status address (default: from --config, else " + DEFAULT_URL
            + ", the container image's port)")
    String url;

    @Option(names = "--config", description = "the worker's configuration file: the address is its status.bind and"
            + " status.port (with the same environment and --set overrides as the worker's)")
    java.nio.file.Path config;

    @Option(names = "--set", description = "Overrides a configuration key of --config, as for the worker.")
    java.util.Map<String, String> overrides = new java.util.HashMap<>();

    @Option(names = "--timeout-seconds", description = "how long to wait for the answer (default: ${DEFAULT-VALUE})",
            defaultValue = "3")
    int timeoutSeconds;

    @Option(names = "--strict", description = "Also fail (exit 1) when any unit of the worker is FAILED or STALLED.")
    boolean strict;

    @Override
    public Integer call() throws InterruptedException {
        Duration timeout = Duration.ofSeconds(Math.max(1, timeoutSeconds));
        String address = url;
        if (address == null && config != null) {
            dev.streamfleet.worker.config.FleetConfig.Status status = ConfigOptions.load(config, overrides).status();
            if (status.port() == 0) {
                System.err.println("streamfleet: status.port is 0 in " + config + ": the worker picks a free port at every"
                        + " start; set status.port, or give --url with the address from the worker's log");
                return 2;
            }
            address = "http://" + (status.bind().equals("0.0.0.0") || status.bind().equals("::") ? "127.0.0.1"
                    : status.bind()) + ":" + status.port();
        }
        if (address == null) {
            address = DEFAULT_URL;
        }
        String target = address.replaceAll("/+$", "") + "/health";
        URI uri;
        try {
            uri = URI.create(target);
        } catch (IllegalArgumentException e) {
            System.err.println("streamfleet: " + address + " is not a URL");
            return 2;
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).build();
        try {
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(uri).timeout(timeout).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (answer.statusCode() == 200) {
                List<String> failed = units(answer.body(), "failed");
                List<String> stalled = units(answer.body(), "stalled");
                if (strict && !(failed.isEmpty() && stalled.isEmpty())) {
                    List<String> parts = new ArrayList<>();
                    if (!failed.isEmpty()) {
                        parts.add(failed.size() + " unit(s) FAILED: " + String.join("; ", failed));
                    }
                    if (!stalled.isEmpty()) {
                        parts.add(stalled.size() + " unit(s) STALLED: " + String.join("; ", stalled));
                    }
                    System.err.println("streamfleet: " + target + ": " + String.join("; ", parts));
                    return 1;
                }
                System.out.println(answer.body());
                return 0;
            }
            System.err.println("streamfleet: " + target + " answered " + answer.statusCode() + ": " + answer.body());
            return 1;
        } catch (IOException e) {
            System.err.println("streamfleet: " + target + " did not answer: " + e);
            return 1;
        }
    }

    /** "unit: reason" for every unit of a /health answer's list ({@code failed} or {@code stalled}). */
    static List<String> units(String body, String list) throws IOException {
        List<String> units = new ArrayList<>();
        for (var unit : new ObjectMapper().readTree(body).path(list)) {
            units.add(unit.path("unit").asText() + ": " + unit.path("reason").asText());
        }
        return units;
    }
}
