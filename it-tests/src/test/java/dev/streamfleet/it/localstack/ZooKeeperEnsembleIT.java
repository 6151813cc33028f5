package dev.streamfleet.it.localstack;

import dev.streamfleet.deploy.localstack.EmbeddedZooKeeper;
import dev.streamfleet.it.LocalStackExtension;

import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A 3-member ensemble survives one lost member, stops serving writes without quorum, and recovers. */
class ZooKeeperEnsembleIT {

    @RegisterExtension
    static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withZooKeeper(3));

    @Test
    void ensembleKeepsServingWithOneMemberDownAndStopsWithoutQuorum() throws Exception {
        EmbeddedZooKeeper ensemble = SERVERS.stack().zookeeper();
        assertThat(ensemble.members()).hasSize(3);
        assertThat(ensemble.endpoint().split(",")).hasSize(3).allMatch(e -> e.startsWith("127.0.0.1:"));

        try (CuratorFramework client = ZooKeeperServerIT.connect(ensemble.endpoint())) {
            client.create().forPath("/before", new byte[0]);

            ensemble.members().get(0).kill();
            client.create().forPath("/one-down", new byte[0]);

            ensemble.members().get(1).kill();
            try (CuratorFramework probe = CuratorFrameworkFactory.builder()
                    .connectString(ensemble.members().get(2).endpoint())
                    .sessionTimeoutMs(4_000).connectionTimeoutMs(1_000)
                    .retryPolicy(new RetryOneTime(100)).build()) {
                probe.start();
                assertThatThrownBy(() -> probe.create().forPath("/no-quorum", new byte[0]))
                        .as("a write without quorum").isInstanceOf(Exception.class);
            }

            ensemble.members().get(0).start();
            ensemble.members().get(1).start();
            assertThat(client.blockUntilConnected(20, TimeUnit.SECONDS)).isTrue();
            client.create().forPath("/after", new byte[0]);
            assertThat(client.getChildren().forPath("/")).contains("before", "one-down", "after")
                    .doesNotContain("no-quorum");
        }
    }
}
