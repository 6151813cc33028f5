package dev.streamfleet.coordinator.internal.zk;

/**
 * The identity of a worker's ZooKeeper session, for operators' tools and fault tests (a second
 * handle on the same session can expire it on the server).
 *
 * @param id       the session id
 * @param password the session password
 */
public record ZkSession(long id, byte[] password) {

    public ZkSession {
        password = password.clone();
    }

    @Override
    public byte[] password() {
        return password.clone();
    }
}
