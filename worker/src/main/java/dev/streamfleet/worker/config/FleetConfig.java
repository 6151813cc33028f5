package dev.streamfleet.worker.config;

import dev.streamfleet.core.PublicApi;
import dev.streamfleet.core.Position;
import dev.streamfleet.worker.config.FanOut;
import dev.streamfleet.worker.Parallelism;
import dev.streamfleet.worker.internal.runtime.WorkerSettings;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A worker's whole configuration, as read from the YAML file (see the README for the schema).
 *
 * @param application the fleet's name
 * @param zookeeper   where the fleet coordinates
 * @param checkpoints where positions are kept
 * @param sources     the streams and topics to read
 * @param processor   what handles the records
 * @param processing  how the worker runs its units
 * @param status      where the status endpoints listen
 * @param worker      what this worker says about itself
 * @param balancing   how the leader balances by load (the leader's configuration counts)
 */
@PublicApi
public record FleetConfig(String application, ZooKeeper zookeeper, Checkpoints checkpoints, List<Source> sources,
                          Processor processor, Processing processing, Status status, Worker worker,
                          dev.streamfleet.coordinator.Balancing balancing) {

    public FleetConfig {
        sources = List.copyOf(sources);
        java.util.Objects.requireNonNull(worker, "worker");
        java.util.Objects.requireNonNull(balancing, "balancing");
    }

    /**
     * What a worker publishes about itself.
     *
     * @param capacity its share of the fleet's work relative to the others' (a worker of capacity 2 takes twice as much)
     */
    public record Worker(int capacity) {
        public static final Worker DEFAULT = new Worker(1);
    }

    /**
     * How a worker runs its units.
     *
     * @param threads           threads shared by all units of the worker
     * @param processorAttempts how often a batch is offered to a failing processor before its unit stops as FAILED
     * @param drainTimeout      how long a revoked unit may take to finish its batch and write its final checkpoint
     * @param stuckAfter        how long past the drain deadline (or past a drop without a checkpoint) a batch may
     *                          still run before the worker process exits with code 70, so that its session expires
     *                          and its units move
     * @param stallAfter        how long a unit may process nothing while records wait before it is reported STALLED
     * @param parallelism       how many batches of one unit may be processed at once, in which order
     * @param deadLetter        where a record goes that failed every attempt; empty: its unit stops as FAILED
     */
    public record Processing(int threads, int processorAttempts, Duration drainTimeout, Duration stuckAfter,
                             Duration stallAfter, Parallelism parallelism, Optional<DeadLetter> deadLetter) {

        public Processing {
            java.util.Objects.requireNonNull(stuckAfter, "stuckAfter");
            // Zero would end the worker on any session blip that finds a batch in hand: a drop has no drain deadline.
            if (stuckAfter.isNegative() || stuckAfter.isZero()) {
                throw new IllegalArgumentException("stuckAfter must be positive, not " + stuckAfter);
            }
        }

        /** As before {@code stuckAfter} was configurable: 60 s. */
        public Processing(int threads, int processorAttempts, Duration drainTimeout, Duration stallAfter,
                          Parallelism parallelism, Optional<DeadLetter> deadLetter) {
            this(threads, processorAttempts, drainTimeout, WorkerSettings.DEFAULT_STUCK_AFTER, stallAfter, parallelism,
                    deadLetter);
        }

        /** Processing one batch per unit at a time, with no dead-letter destination. */
        public Processing(int threads, int processorAttempts, Duration drainTimeout, Duration stallAfter) {
            this(threads, processorAttempts, drainTimeout, stallAfter, Parallelism.NONE,
                    Optional.empty());
        }
    }

    /** Where records that failed every attempt are written (processing.deadLetter). */
    public sealed interface DeadLetter permits DeadLetterKafka, DeadLetterKinesis {
    }

    /**
     * @param topic            the dead-letter topic
     * @param bootstrapServers its cluster
     * @param properties       extra producer properties (security)
     */
    public record DeadLetterKafka(String topic, String bootstrapServers, Map<String, String> properties)
            implements DeadLetter {
        public DeadLetterKafka {
            properties = Map.copyOf(properties);
        }
    }

    /**
     * @param stream   the dead-letter stream
     * @param region   its AWS region
     * @param endpoint an endpoint override (an emulator); empty for AWS
     */
    public record DeadLetterKinesis(String stream, String region, Optional<URI> endpoint) implements DeadLetter {
    }

    /**
     * @param connect        the ZooKeeper connect string
     * @param sessionTimeout how long ZooKeeper waits before declaring a silent worker dead
     * @param credentials    digest credentials for a secured ensemble
     */
    public record ZooKeeper(String connect, Duration sessionTimeout,
                            Optional<dev.streamfleet.coordinator.ZooKeeperCredentials> credentials) {
    }

    /**
     * @param table    the DynamoDB table, created when missing
     * @param region   its AWS region
     * @param endpoint an endpoint override (an emulator); empty for AWS
     * @param interval how often, at most, a unit checkpoints
     */
    public record Checkpoints(String table, String region, Optional<URI> endpoint, Duration interval) {
    }

    /** A stream or topic to read. */
    public sealed interface Source permits Kinesis, Kafka {
        /** The stream or topic name. */
        String name();
    }

    /**
     * @param stream          the stream
     * @param region          its AWS region
     * @param endpoint        an endpoint override (an emulator); empty for AWS
     * @param initialPosition where a shard without a checkpoint starts, if it existed when the application first read
     *                        the stream; a shard created later starts at TRIM_HORIZON (docs/design.md §2a)
     * @param limit           the most records per GetRecords call
     * @param idleWait        the pause after the first empty read of a caught-up shard
     * @param idleWaitMax     the longest pause between reads of a caught-up shard (the pause doubles up to it)
     * @param maxReadsPerSecond the most GetRecords calls per second per shard, of the 5 every reader shares
     * @param fanOut          read through enhanced fan-out as this stream consumer; empty to poll
     */
    public record Kinesis(String stream, String region, Optional<URI> endpoint, Position initialPosition, int limit,
                          Duration idleWait, Duration idleWaitMax, double maxReadsPerSecond,
                          Optional<FanOut> fanOut) implements Source {

        /** Records per GetRecords call unless configured. */
        public static final int DEFAULT_LIMIT = 1_000;
        public static final Duration DEFAULT_IDLE_WAIT = Duration.ofMillis(250);
        public static final Duration DEFAULT_IDLE_WAIT_MAX = Duration.ofSeconds(1);
        public static final double DEFAULT_MAX_READS_PER_SECOND = 5;

        @Override
        public String name() {
            return stream;
        }
    }

    /**
     * @param topic            the topic
     * @param bootstrapServers the cluster
     * @param initialPosition  where a partition without a checkpoint starts, if it existed when the application first
     *                         read the topic; a partition added later starts at the earliest offset (docs/design.md §2a)
     * @param properties       extra Kafka client properties
     * @param mirrorGroup      a consumer group to mirror checkpoints into, for lag tools
     */
    public record Kafka(String topic, String bootstrapServers, Position initialPosition, Map<String, String> properties,
                        Optional<String> mirrorGroup) implements Source {
        public Kafka {
            properties = Map.copyOf(properties);
        }

        @Override
        public String name() {
            return topic;
        }
    }

    /**
     * @param type    log, jsonl, or a class name; empty when the configuration names none (an application that
     *                embeds the worker gives its processor in code)
     * @param options the processor's options, such as jsonl's path
     */
    public record Processor(String type, Map<String, String> options) {
        public Processor {
            options = Map.copyOf(options);
        }
    }

    /**
     * @param bind       the address the status endpoints listen on
     * @param port       their port; 0 for any free port
     * @param advertise  the host name or address other workers use to reach these endpoints
     *                   (a pod IP, a container name); empty for the bound address
     * @param leaderPage how a worker that does not lead answers for the fleet's page
     * @param jmx        whether the worker's totals are also MBeans (domain {@code streamfleet})
     */
    public record Status(String bind, int port, String advertise, LeaderPage leaderPage, boolean jmx) {
        public Status {
            advertise = advertise == null ? "" : advertise.trim();
        }

        public Status(String bind, int port) {
            this(bind, port, "", LeaderPage.REDIRECT, false);
        }
    }

    /** How a follower answers {@code /} and {@code /api/status}. */
    public enum LeaderPage {
        /** with a redirect to the leader's own address: for hosts where every worker is reachable */
        REDIRECT,
        /** by fetching the leader's answer and serving it: for a load balancer or Service in front of the workers */
        PROXY
    }
}
