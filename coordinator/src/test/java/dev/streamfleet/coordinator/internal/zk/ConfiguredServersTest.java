package dev.streamfleet.coordinator.internal.zk;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A worker talks to the servers it was configured with, and only to them: the ensemble's own
 * {@code /zookeeper/config} (which Curator's ensemble tracker would take as the new connection
 * string) never widens or replaces them.
 */
class ConfiguredServersTest {

    private static final String LOOPBACK = "127.0.0.1";
    private static TestingCluster ensemble;

    @BeforeAll
    static void startEnsemble(@TempDir Path dir) throws Exception {
        List<InstanceSpec> members = new ArrayList<>();
        for (int id = 1; id <= 3; id++) {
            java.io.File data = java.nio.file.Files.createDirectories(dir.resolve("member-" + id)).toFile();
            members.add(new InstanceSpec(data, freePort(), freePort(), freePort(), false,
                    id, -1, -1, Map.of("clientPortAddress", LOOPBACK, "admin.enableServer", "false"), LOOPBACK));
        }
        ensemble = new TestingCluster(members);
        ensemble.start();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
            return socket.getLocalPort();
        }
    }

    @AfterAll
    static void stopEnsemble() throws Exception {
        ensemble.close();
    }

    @Test
    void theConnectionStringStaysTheOneConfiguredAfterTheEnsemblesConfigIsKnown() throws Exception {
        InstanceSpec first = ensemble.getInstances().iterator().next();
        String configured = LOOPBACK + ":" + first.getPort();
        try (CuratorFramework client = ZkClients.builder(configured, Optional.empty()).sessionTimeoutMs(10_000)
                .retryPolicy(new RetryOneTime(100)).build()) {
            client.start();
            assertThat(client.blockUntilConnected(30, TimeUnit.SECONDS)).as("connected to one member").isTrue();
            // The ensemble's config node lists all three members: what a tracker would switch to.
            byte[] config = client.getConfig().forEnsemble();
            assertThat(new String(config, java.nio.charset.StandardCharsets.UTF_8)).as("the ensemble's own config")
                    .contains("server.1=", "server.2=", "server.3=");

            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).untilAsserted(() ->
                    assertThat(client.getZookeeperClient().getCurrentConnectionString()).isEqualTo(configured));
        }
    }
}
