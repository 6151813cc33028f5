package dev.streamfleet.core;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The fencing token of a lease: the creation zxid of its lease znode, within the fencing
 * domain of the ZooKeeper history that issued it. Zxids only grow within one history, so a
 * later owner always holds a larger epoch; epochs of different domains are not comparable (a
 * rebuilt ensemble starts counting again).
 *
 * @param domain the id of the fencing domain, created once per ZooKeeper history
 * @param value  the lease znode's creation zxid
 */
public record Epoch(String domain, long value) {

    private static final Pattern DOMAIN = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    public Epoch {
        Objects.requireNonNull(domain, "domain");
        if (!DOMAIN.matcher(domain).matches()) {
            throw new IllegalArgumentException("invalid fencing domain '" + domain + "'");
        }
        if (value <= 0) {
            throw new IllegalArgumentException("an epoch is a positive zxid, not " + value);
        }
    }

    /** Whether this epoch is newer than {@code other}; only epochs of the same domain compare. */
    public boolean isNewerThan(Epoch other) {
        if (!domain.equals(other.domain)) {
            throw new IllegalArgumentException("epochs of fencing domains " + domain + " and " + other.domain
                    + " do not compare");
        }
        return value > other.value;
    }

    @Override
    public String toString() {
        return domain + ":" + value;
    }
}
