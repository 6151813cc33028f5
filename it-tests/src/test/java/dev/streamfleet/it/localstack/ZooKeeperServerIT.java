package dev.streamfleet.it.localstack;

import dev.streamfleet.deploy.localstack.EmbeddedZooKeeper;
import dev.streamfleet.it.LocalStackExtension;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;

/** The embedded standalone ZooKeeper answers a real Curator client, and comes back after a stop. */
class ZooKeeperServerIT {

    @RegisterExtension
    static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withZooKeeper(1));

    @Test
    void curatorClientWritesAndReadsThroughTheLoopbackEndpoint() throws Exception {
        EmbeddedZooKeeper zookeeper = SERVERS.stack().zookeeper();
        assertThat(zookeeper.endpoint()).startsWith("127.0.0.1:");

        try (CuratorFramework client = connect(zookeeper.endpoint())) {
            client.create().creatingParentsIfNeeded().forPath("/smoke/hello", "world".getBytes(StandardCharsets.UTF_8));
            assertThat(new String(client.getData().forPath("/smoke/hello"), StandardCharsets.UTF_8)).isEqualTo("world");
        }
    }

    @Test
    void restartedServerKeepsItsEndpointAndData() throws Exception {
        EmbeddedZooKeeper zookeeper = SERVERS.stack().zookeeper();
        String endpoint = zookeeper.endpoint();
        try (CuratorFramework client = connect(endpoint)) {
            client.create().withMode(CreateMode.PERSISTENT).forPath("/durable", new byte[] {1});
        }

        zookeeper.stop();
        assertThat(zookeeper.isRunning()).isFalse();
        zookeeper.start();

        assertThat(zookeeper.endpoint()).isEqualTo(endpoint);
        try (CuratorFramework client = connect(endpoint)) {
            assertThat(client.getData().forPath("/durable")).containsExactly(1);
        }
    }

    static CuratorFramework connect(String connectString) throws InterruptedException {
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .sessionTimeoutMs(4_000)
                .connectionTimeoutMs(2_000)
                // Enough retries to ride out a failover to another ensemble member (about 0.4 s).
                .retryPolicy(new org.apache.curator.retry.RetryNTimes(30, 100))
                .build();
        client.start();
        if (!client.blockUntilConnected(10, TimeUnit.SECONDS)) {
            client.close();
            throw new AssertionError("no connection to ZooKeeper at " + connectString + " within 10 s");
        }
        return client;
    }
}
