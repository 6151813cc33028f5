package dev.streamfleet.coordinator.internal.zk;

import java.util.List;
import java.util.OptionalLong;

import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.data.Stat;

/** The leader's reads through Curator, in the foreground, under the client's retry policy. */
final class CuratorLeaderZnodes implements LeaderZnodes {

    private final CuratorFramework client;

    CuratorLeaderZnodes(CuratorFramework client) {
        this.client = client;
    }

    @Override
    public List<String> children(String path) throws Exception {
        return client.getChildren().forPath(path);
    }

    @Override
    public byte[] data(String path) throws Exception {
        return client.getData().forPath(path);
    }

    @Override
    public OptionalLong ephemeralOwner(String path) throws Exception {
        Stat stat = client.checkExists().forPath(path);
        return stat == null ? OptionalLong.empty() : OptionalLong.of(stat.getEphemeralOwner());
    }
}
