package dev.streamfleet.coordinator.internal.zk;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;

/**
 * A real ZooKeeper server on 127.0.0.1 for the adapter's tests, and a plain client that writes
 * znodes as another version, a tool or an operator would.
 */
final class LocalZooKeeper implements AutoCloseable {

    static {
        // A server that fails to start must fail the test, not exit the test JVM.
        org.apache.zookeeper.util.ServiceUtils.setSystemExitProcedure(org.apache.zookeeper.util.ServiceUtils.LOG_ONLY);
    }

    private final TestingServer server;
    private final CuratorFramework client;

    LocalZooKeeper() throws Exception {
        java.nio.file.Path dir = Files.createTempDirectory("zk");
        InstanceSpec spec = new InstanceSpec(dir.toFile(), InstanceSpec.getRandomPort(), -1, -1, true, 1, 500, -1,
                Map.of("clientPortAddress", "127.0.0.1", "admin.enableServer", "false"), "127.0.0.1");
        this.server = new TestingServer(spec, true);
        this.client = CuratorFrameworkFactory.newClient(connect(), 10_000, 5_000, new RetryOneTime(100));
        client.start();
        client.blockUntilConnected();
    }

    String connect() {
        return "127.0.0.1:" + server.getPort();
    }

    /** Creates (or overwrites) a persistent znode with {@code body}, its parents as needed. */
    void write(String path, String body) throws Exception {
        byte[] data = body.getBytes(StandardCharsets.UTF_8);
        if (client.checkExists().forPath(path) != null) {
            client.setData().forPath(path, data);
        } else {
            client.create().creatingParentsIfNeeded().withMode(CreateMode.PERSISTENT).forPath(path, data);
        }
    }

    /** Creates an ephemeral znode with {@code body}, held by this server's own client until it closes. */
    void writeEphemeral(String path, String body) throws Exception {
        client.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL)
                .forPath(path, body.getBytes(StandardCharsets.UTF_8));
    }

    void write(String path, byte[] body) throws Exception {
        write(path, new String(body, StandardCharsets.UTF_8));
    }

    String read(String path) throws Exception {
        return new String(client.getData().forPath(path), StandardCharsets.UTF_8);
    }

    boolean exists(String path) throws Exception {
        return client.checkExists().forPath(path) != null;
    }

    @Override
    public void close() throws IOException {
        client.close();
        server.close();
    }
}
