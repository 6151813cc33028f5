package dev.streamfleet.worker.internal.status;

import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A worker whose registration carries a status URL that is not one never stops the others from being asked. */
class WorkerReportsTest {

    private HttpServer server;

    @BeforeEach
    void serve() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4);
        server.createContext("/api/worker", exchange -> {
            byte[] body = "{\"worker\":\"good\",\"units\":[]}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private static WorkerInfo worker(String id, String statusUrl) {
        return new WorkerInfo(WorkerId.of(id), "h", statusUrl, Instant.now(), "1.0", 1);
    }

    @Test
    void workersWhoseStatusUrlIsNotAnHttpUrlAreSkippedAndTheRestAreAsked() {
        List<WorkerInfo> workers = List.of(worker("bad-1", "not a url"), worker("bad-2", "ftp://127.0.0.1/"),
                worker("bad-3", "http://[::1"), worker("good", "http://127.0.0.1:" + server.getAddress().getPort()),
                worker("none", ""));

        var reports = new WorkerReports(Duration.ofSeconds(2)).fetch(workers);

        assertThat(reports).containsOnlyKeys(WorkerId.of("good"));
    }

    @Test
    void theSkippedWorkersComeWithTheirReason() {
        var fetched = new WorkerReports(Duration.ofSeconds(2)).fetchAll(List.of(worker("bad-1", "not a url"),
                worker("good", "http://127.0.0.1:" + server.getAddress().getPort())));

        assertThat(fetched.reports()).containsOnlyKeys(WorkerId.of("good"));
        assertThat(fetched.skipped()).containsOnlyKeys(WorkerId.of("bad-1"));
        assertThat(fetched.skipped().get(WorkerId.of("bad-1"))).contains("not a url");
    }
}
