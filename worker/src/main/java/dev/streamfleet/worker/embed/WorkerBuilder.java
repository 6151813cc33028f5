package dev.streamfleet.worker.embed;

import dev.streamfleet.core.PublicApi;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.worker.RecordProcessorFactory;
import dev.streamfleet.worker.WorkerRuntime;
import dev.streamfleet.worker.config.ConfigException;
import dev.streamfleet.worker.config.FleetConfig;
import dev.streamfleet.worker.config.FleetConfigLoader;
import dev.streamfleet.worker.internal.setup.AwsRegion;
import dev.streamfleet.worker.internal.setup.Version;
import dev.streamfleet.worker.internal.status.WorkerStatusServer;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.jmx.JmxReporter;

/**
 * Configures one worker: its configuration (required), and optionally its processor, AWS
 * clients, unit pool, clock, metric registry and whether it serves its status endpoints. Not
 * thread-safe; {@link #start()} joins the fleet.
 */
@PublicApi
public final class WorkerBuilder {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(WorkerBuilder.class);

    private FleetConfig config;
    private Optional<RecordProcessorFactory> processor = Optional.empty();
    private AwsClients clients = AwsClients.fromConfiguration();
    private WorkerRuntime runtime = WorkerRuntime.defaults();
    private boolean statusEndpoints = true;

    WorkerBuilder() {
    }

    /** The configuration, read or built by the application. */
    public WorkerBuilder config(FleetConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        return this;
    }

    /**
     * The configuration in a YAML file, read as {@code streamfleet worker --config} reads it:
     * {@code STREAMFLEET_*} environment variables override its keys, and a region it leaves out
     * comes from the AWS SDK's region chain.
     *
     * @throws ConfigException naming the key or the file when the configuration is wrong
     */
    public WorkerBuilder config(Path file) {
        return config(FleetConfigLoader.load(file, System.getenv(), Map.of(), AwsRegion::fromDefaultChain));
    }

    /**
     * The processor, created once per unit; it wins over the configuration's {@code processor},
     * which may then be left out.
     */
    public WorkerBuilder processor(RecordProcessorFactory factory) {
        this.processor = Optional.of(Objects.requireNonNull(factory, "factory"));
        return this;
    }

    /** AWS clients of the application's own, instead of the ones the worker builds from the configuration. */
    public WorkerBuilder awsClients(AwsClients clients) {
        this.clients = Objects.requireNonNull(clients, "clients");
        return this;
    }

    /**
     * The pool the units run on, instead of one of {@code processing.threads} threads of the
     * worker's own. It stays the application's: the worker never shuts it down. A unit holds a
     * thread only while it fetches or processes, but a pool with fewer threads than units makes
     * units wait for each other. The units' timers (the STALLED watchdog, the stuck handler) do not
     * run here but on a thread of the worker's own, so that they fire even when hung processors
     * hold every thread of this pool.
     */
    public WorkerBuilder executor(ScheduledExecutorService pool) {
        this.runtime = runtime.withUnitPool(Objects.requireNonNull(pool, "pool"));
        return this;
    }

    /**
     * The wall clock, the system clock by default: the checkpoint table's timestamps, a LATEST first
     * start's, and the start of the units' own clock, which then runs on {@link System#nanoTime()} so
     * that no step of the wall clock changes a duration (the checkpoint interval, backoffs, a
     * revoke's deadline, stall detection).
     */
    public WorkerBuilder clock(Clock clock) {
        this.runtime = runtime.withClock(Objects.requireNonNull(clock, "clock"));
        return this;
    }

    /** The registry the worker counts its totals into ({@code streamfleet.worker.*}); one of its own by default. */
    public WorkerBuilder metrics(MetricRegistry registry) {
        this.runtime = runtime.withMetrics(Objects.requireNonNull(registry, "registry"));
        return this;
    }

    /**
     * Whether the worker serves {@code /health}, {@code /metrics}, {@code /api/worker} and, while
     * it leads, the fleet's page on {@code status.bind:status.port} (by default yes). Without
     * them, the leader cannot show this worker's rates and lag, and a page served by this worker
     * when it leads is not there.
     */
    public WorkerBuilder statusEndpoints(boolean serve) {
        this.statusEndpoints = serve;
        return this;
    }

    /**
     * Looks up every source, opens the checkpoint table, joins the fleet and starts reading
     * whatever units the leader assigns.
     *
     * @throws IllegalStateException when no configuration was given
     * @throws ConfigException       when the configuration is wrong, names no processor while none was given in code,
     *                               or names one that cannot be made
     * @throws RuntimeException      naming the server when one cannot be reached or a stream or topic does not exist
     */
    public EmbeddedWorker start() {
        if (config == null) {
            throw new IllegalStateException("no configuration: call config(...) before start()");
        }
        String host = hostName();
        WorkerStatusServer status = statusEndpoints ? WorkerStatusServer.start(config.status()) : null;
        WorkerAssembly assembly = null;
        try {
            WorkerInfo info = new WorkerInfo(WorkerId.generate(host), host, status == null ? "" : status.url(), Instant.now(),
                    Version.current(), config.worker().capacity());
            assembly = WorkerAssembly.start(config, info, processor, clients, runtime);
            if (status != null) {
                status.serve(assembly.worker(), assembly.store());
            }
            JmxReporter jmx = null;
            if (config.status().jmx()) {
                jmx = JmxReporter.forRegistry(assembly.worker().metrics()).inDomain("streamfleet").build();
                jmx.start();
                LOG.info("worker totals are MBeans in JMX domain streamfleet (status.jmx)");
            }
            return new EmbeddedWorker(config.application(), assembly, status, jmx);
        } catch (RuntimeException e) {
            if (assembly != null) {
                assembly.close();
            }
            if (status != null) {
                status.close();
            }
            throw e;
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
