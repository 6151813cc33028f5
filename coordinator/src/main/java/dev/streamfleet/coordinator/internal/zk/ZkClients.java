package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.coordinator.ZooKeeperCredentials;

import java.util.List;
import java.util.Optional;

import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;

/** Curator client builders with the fleet's ZooKeeper credentials applied, when it has any. */
final class ZkClients {

    private ZkClients() {
    }

    /**
     * A builder for a client of exactly the servers in {@code connect}, with the fleet's
     * credentials. Curator's ensemble tracker is off: it would replace the configured servers
     * with the client addresses found in the ensemble's {@code /zookeeper/config}, a node this
     * worker did not validate, which names servers by whatever address they listen on (a
     * wildcard, a pod IP that changes) and which the operator never chose. A worker talks to the
     * servers it was configured with, and only to them (design.md, "What is trusted").
     */
    static CuratorFrameworkFactory.Builder builder(String connect, Optional<ZooKeeperCredentials> credentials) {
        return withCredentials(CuratorFrameworkFactory.builder().connectString(connect).ensembleTracker(false),
                credentials);
    }

    /**
     * Adds digest authentication and ACLs for a secured ensemble: the fleet's own nodes are
     * creator-all; the shared {@code /streamfleet} parent stays open so that other fleets can
     * live beside it, and the fencing-domain id is world-readable.
     */
    private static CuratorFrameworkFactory.Builder withCredentials(CuratorFrameworkFactory.Builder builder,
                                                            Optional<ZooKeeperCredentials> credentials) {
        credentials.ifPresent(c -> builder.authorization("digest", c.digest()).aclProvider(new ACLProvider() {
            @Override
            public List<ACL> getDefaultAcl() {
                return ZooDefs.Ids.CREATOR_ALL_ACL;
            }

            @Override
            public List<ACL> getAclForPath(String path) {
                if ("/streamfleet".equals(path)) {
                    return ZooDefs.Ids.OPEN_ACL_UNSAFE;
                }
                if (ZkPaths.FENCING_DOMAIN.equals(path)) {
                    List<ACL> acl = new java.util.ArrayList<>(ZooDefs.Ids.CREATOR_ALL_ACL);
                    acl.addAll(ZooDefs.Ids.READ_ACL_UNSAFE);
                    return acl;
                }
                return ZooDefs.Ids.CREATOR_ALL_ACL;
            }
        }));
        return builder;
    }
}
