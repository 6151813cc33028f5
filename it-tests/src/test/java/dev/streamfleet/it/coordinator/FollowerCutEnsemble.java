package dev.streamfleet.it.coordinator;

import dev.streamfleet.coordinator.LoopbackProxy;
import dev.streamfleet.deploy.localstack.LoopbackPorts;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;

/**
 * A real 3-member ZooKeeper ensemble on loopback whose member 1 a test can cut off from the
 * leader while its clients still reach it: the stale follower that answers reads from its own
 * copy until it notices, after syncLimit × tickTime.
 *
 * <p>How: member 1's own configuration names the other members' quorum ports through
 * {@link LoopbackProxy} proxies (curator-test applies an instance's custom properties after the
 * {@code server.N} lines it writes), so its connection to whichever member leads runs through a
 * proxy, while everything else, member 1's client port included, is direct. Member 1 has the
 * lowest id, so it never leads a quorum of fresh members. Election connections stay direct:
 * ZooKeeper keeps the one opened by the higher id, so the others' connections to member 1 would
 * bypass a proxy anyway, and no election runs while the leader holds its quorum.
 */
public final class FollowerCutEnsemble implements AutoCloseable {

    private final int[] client = {LoopbackPorts.free(), LoopbackPorts.free(), LoopbackPorts.free()};
    private final List<LoopbackProxy> links = new ArrayList<>();
    private final TestingCluster cluster;

    /**
     * @param syncLimit in ticks: how long member 1 goes on serving after the cut
     */
    public FollowerCutEnsemble(Path dir, int tickMillis, int syncLimit) throws Exception {
        int[] quorum = {LoopbackPorts.free(), LoopbackPorts.free(), LoopbackPorts.free()};
        int[] election = {LoopbackPorts.free(), LoopbackPorts.free(), LoopbackPorts.free()};
        links.add(new LoopbackProxy(quorum[1]));
        links.add(new LoopbackProxy(quorum[2]));
        List<InstanceSpec> specs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int id = i + 1;
            Map<String, Object> properties = new HashMap<>(Map.of(
                    "clientPortAddress", LoopbackPorts.HOST,
                    "admin.enableServer", "false",
                    "syncLimit", Integer.toString(syncLimit)));
            if (id == 1) {
                for (int other = 1; other < 3; other++) {
                    properties.put("server." + (other + 1), String.format("%s:%d:%d;%s:%d", LoopbackPorts.HOST,
                            links.get(other - 1).port(), election[other], LoopbackPorts.HOST, client[other]));
                }
            }
            File data = dir.resolve("member-" + id).toFile();
            if (!data.isDirectory() && !data.mkdirs()) {
                throw new IOException("cannot create " + data);
            }
            specs.add(new InstanceSpec(data, client[i], election[i], quorum[i], false, id, tickMillis, -1,
                    properties, LoopbackPorts.HOST));
        }
        this.cluster = new TestingCluster(specs);
        cluster.start();
    }

    /** The client port of member 1, the one that can be cut. */
    public String follower() {
        return LoopbackPorts.HOST + ":" + client[0];
    }

    /** The client ports of the other two members. */
    public String others() {
        return LoopbackPorts.HOST + ":" + client[1] + "," + LoopbackPorts.HOST + ":" + client[2];
    }

    /** From now on nothing passes between member 1 and the others' quorum ports, and nobody is told. */
    public void cut() {
        links.forEach(LoopbackProxy::partitionSilently);
    }

    /** Lets member 1 reach the leader again: the connections cut are closed, new ones pass. */
    public void heal() {
        links.forEach(LoopbackProxy::healPartition);
    }

    /** Member 1's role as it reports it ({@code srvr}): follower, leader, or why it is not serving. */
    public String followerMode() throws IOException {
        try (Socket socket = new Socket(LoopbackPorts.HOST, client[0])) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write("srvr".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String reply = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            return reply.lines().filter(l -> l.startsWith("Mode: ")).map(l -> l.substring(6).trim()).findFirst()
                    .orElse(reply.trim());
        }
    }

    @Override
    public void close() throws IOException {
        try {
            cluster.close();
        } finally {
            links.forEach(LoopbackProxy::close);
        }
    }
}
