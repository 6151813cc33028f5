package dev.streamfleet.it.localstack;

import dev.streamfleet.deploy.localstack.LocalStack;
import dev.streamfleet.deploy.localstack.LocalStackConfig;

import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A client that dies in the middle of a request, as a worker killed with kill -9 does, must not
 * take an emulator down: before the loopback preload dropped the 'aborted' error, dynalite and
 * kinesalite threw it and exited, and every later test of the suite met a dead server.
 */
class AbortedRequestIT {

    @Test
    void anEmulatorOutlivesAClientThatHangsUpHalfwayThroughARequest() throws Exception {
        Path dir = Path.of(System.getProperty("streamfleet.localstack.workdir", "target/local-stack"))
                .resolve("aborted-" + System.currentTimeMillis());
        try (LocalStack stack = LocalStack.start(LocalStackConfig.none(dir).withDynamoDb().withKinesalite())) {
            for (String endpoint : new String[] {stack.dynamodb().endpoint(), stack.kinesalite().endpoint()}) {
                URI uri = URI.create(endpoint);
                try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
                    OutputStream out = socket.getOutputStream();
                    out.write(("POST / HTTP/1.1\r\nHost: " + uri.getAuthority() + "\r\nContent-Type: application/x-amz-json-1.0\r\n"
                            + "Content-Length: 1000\r\n\r\n{\"Tab").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
                // The crash came asynchronously, when the emulator noticed the hang-up: keep asking for a while.
                await().during(Duration.ofMillis(750)).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                        .until(() -> answers(uri));
            }
            assertThat(answers(URI.create(stack.dynamodb().endpoint()))).isTrue();
            assertThat(ProcessHandle.of(stack.dynamodb().pid()).map(ProcessHandle::isAlive)).contains(true);
            assertThat(ProcessHandle.of(stack.kinesalite().pid()).map(ProcessHandle::isAlive)).contains(true);
        }
    }

    private static boolean answers(URI uri) {
        try {
            HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return answer.statusCode() > 0;
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
