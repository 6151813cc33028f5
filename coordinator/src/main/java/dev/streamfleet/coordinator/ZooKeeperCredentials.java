package dev.streamfleet.coordinator;

import dev.streamfleet.core.PublicApi;
import java.util.Objects;

/**
 * Digest credentials for ZooKeeper. With them, every znode the fleet creates is readable and
 * writable only by this identity (creator-all ACL), so other tenants of the ensemble cannot
 * read or change the fleet's state.
 *
 * @param username the digest user
 * @param password its password; never printed
 */
@PublicApi
public record ZooKeeperCredentials(String username, String password) {

    public ZooKeeperCredentials {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
        if (username.isBlank() || username.contains(":")) {
            throw new IllegalArgumentException("a ZooKeeper digest username must be non-empty and without ':'");
        }
    }

    /** The "user:password" form that ZooKeeper's digest scheme takes. */
    public byte[] digest() {
        return (username + ":" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "ZooKeeperCredentials[username=" + username + ", password=****]";
    }
}
