package dev.streamfleet.checkpoint.internal.dynamodb;

import dev.streamfleet.checkpoint.CheckpointStoreUnavailableException;
import dev.streamfleet.core.Backoff;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** No server needed: a port that nothing listens on is the failure under test. */
class UnreachableDynamoDbTest {

    @Test
    void unreachableEndpointGivesOneClearLineAfterBoundedRetries() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        URI endpoint = URI.create("http://127.0.0.1:" + closedPort);
        DynamoDbCheckpointConfig config = DynamoDbCheckpointConfig.local("streamfleet-checkpoints", endpoint)
                .withRetry(new Backoff(3, Duration.ofMillis(10), Duration.ofMillis(20)));

        assertThatThrownBy(() -> DynamoDbCheckpointTable.open(config))
                .isInstanceOf(CheckpointStoreUnavailableException.class)
                .hasMessageStartingWith("DynamoDB at " + endpoint + ": DescribeTable on table streamfleet-checkpoints failed 3 times")
                .hasMessageContaining("Connection refused")
                .satisfies(e -> org.assertj.core.api.Assertions.assertThat(e.getMessage()).doesNotContain("\n"));
    }
}
