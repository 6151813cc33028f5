package dev.streamfleet.coordinator;

import dev.streamfleet.checkpoint.CheckpointRules;

import java.time.Duration;
import java.util.Objects;

/**
 * How a worker joins its fleet.
 *
 * @param application       the fleet's name; everything in ZooKeeper lives under {@code /streamfleet/<application>}
 * @param zookeeper         the ZooKeeper connect string
 * @param sessionTimeout    how long ZooKeeper waits before it declares a silent worker dead
 * @param rebalanceQuiet    how long the leader waits after a change for more changes
 * @param rebalanceMaxDelay the longest the leader postpones a rebalance after the first change
 * @param drainTimeout      how long a revoked unit may take to finish its batch and checkpoint
 * @param discoveryInterval how often the leader looks for new units
 * @param credentials       ZooKeeper digest credentials; empty for an open ensemble
 * @param balancing         how the leader balances by load, and weights pinned in configuration
 */
public record CoordinatorConfig(String application, String zookeeper, Duration sessionTimeout, Duration rebalanceQuiet,
                                Duration rebalanceMaxDelay, Duration drainTimeout, Duration discoveryInterval,
                                java.util.Optional<ZooKeeperCredentials> credentials, Balancing balancing) {

    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_REBALANCE_QUIET = Duration.ofMillis(200);
    public static final Duration DEFAULT_REBALANCE_MAX_DELAY = Duration.ofSeconds(2);
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_DISCOVERY_INTERVAL = Duration.ofSeconds(30);

    public CoordinatorConfig {
        CheckpointRules.requireApplication(application);
        Objects.requireNonNull(zookeeper, "zookeeper");
        if (zookeeper.isBlank()) {
            throw new IllegalArgumentException("the ZooKeeper connect string is empty");
        }
        requirePositive("sessionTimeout", sessionTimeout);
        requirePositive("rebalanceMaxDelay", rebalanceMaxDelay);
        requirePositive("drainTimeout", drainTimeout);
        requirePositive("discoveryInterval", discoveryInterval);
        Objects.requireNonNull(rebalanceQuiet, "rebalanceQuiet");
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(balancing, "balancing");
        if (rebalanceQuiet.isNegative() || rebalanceQuiet.compareTo(rebalanceMaxDelay) > 0) {
            throw new IllegalArgumentException("rebalanceQuiet must be between 0 and rebalanceMaxDelay, not " + rebalanceQuiet);
        }
    }

    /** The defaults for {@code application} on {@code zookeeper}. */
    public static CoordinatorConfig of(String application, String zookeeper) {
        return new CoordinatorConfig(application, zookeeper, DEFAULT_SESSION_TIMEOUT, DEFAULT_REBALANCE_QUIET,
                DEFAULT_REBALANCE_MAX_DELAY, DEFAULT_DRAIN_TIMEOUT, DEFAULT_DISCOVERY_INTERVAL, java.util.Optional.empty(),
                Balancing.DEFAULT);
    }

    public CoordinatorConfig withSessionTimeout(Duration timeout) {
        return new CoordinatorConfig(application, zookeeper, timeout, rebalanceQuiet, rebalanceMaxDelay, drainTimeout,
                discoveryInterval, credentials, balancing);
    }

    public CoordinatorConfig withDrainTimeout(Duration timeout) {
        return new CoordinatorConfig(application, zookeeper, sessionTimeout, rebalanceQuiet, rebalanceMaxDelay, timeout,
                discoveryInterval, credentials, balancing);
    }

    public CoordinatorConfig withDiscoveryInterval(Duration interval) {
        return new CoordinatorConfig(application, zookeeper, sessionTimeout, rebalanceQuiet, rebalanceMaxDelay,
                drainTimeout, interval, credentials, balancing);
    }

    public CoordinatorConfig withCredentials(ZooKeeperCredentials credentials) {
        return new CoordinatorConfig(application, zookeeper, sessionTimeout, rebalanceQuiet, rebalanceMaxDelay,
                drainTimeout, discoveryInterval, java.util.Optional.of(credentials), balancing);
    }

    public CoordinatorConfig withBalancing(Balancing balancing) {
        return new CoordinatorConfig(application, zookeeper, sessionTimeout, rebalanceQuiet, rebalanceMaxDelay,
                drainTimeout, discoveryInterval, credentials, balancing);
    }

    private static void requirePositive(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, not " + value);
        }
    }
}
