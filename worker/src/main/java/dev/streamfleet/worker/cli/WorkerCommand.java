package dev.streamfleet.worker.cli;

import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.worker.config.FleetConfig;
import dev.streamfleet.worker.status.WorkerStatusServer;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import com.codahale.metrics.jmx.JmxReporter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code streamfleet worker}: runs one worker of the fleet until SIGTERM or SIGINT, then hands its units over. */
@Command(name = "worker", mixinStandardHelpOptions = true,
        description = "Runs one worker of the fleet until SIGTERM/SIGINT, then hands its units over gracefully and exits 0.")
public final class WorkerCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerCommand.class);
    /** Long enough for the worker to have read and checkpointed, so those classes are in the archive too. */
    private static final Duration ARCHIVE_AFTER_JOIN = Duration.ofSeconds(10);

    @Mixin
    ConfigOptions options = new ConfigOptions();

    @Override
    public Integer call() throws InterruptedException, IOException {
        FleetConfig fleet = options.load();
        String host = hostName();
        CountDownLatch stop = new CountDownLatch(1);
        Signals.onTermination(stop::countDown);
        WorkerInfo info;
        try (WorkerStatusServer status = WorkerStatusServer.start(fleet.status())) {
            info = new WorkerInfo(WorkerId.generate(host), host, status.url(), Instant.now(), Version.current(),
                    fleet.worker().capacity());
            try (WorkerAssembly assembly = WorkerAssembly.start(fleet, info)) {
                status.serve(assembly.worker(), assembly.store());
                LOG.info("worker {} joined fleet {} ({} sources), status at {}; SIGTERM or Ctrl-C hands its units over"
                        + " and stops it", info.id(), fleet.application(), fleet.sources().size(), status.url());
                try (Closeable jmx = jmx(fleet.status(), assembly);
                     ClassArchiveBuilder archive = ClassArchiveBuilder.start(ClassSharing.of(systemProperties()),
                             ARCHIVE_AFTER_JOIN)) {
                    stop.await();
                }
                LOG.info("stopping: handing units over");
            }
        }
        LOG.info("worker {} stopped", info.id());
        return 0;
    }

    /** With {@code status.jmx: true}, the worker's totals as MBeans in the domain {@code streamfleet} until it stops. */
    private static Closeable jmx(FleetConfig.Status status, WorkerAssembly assembly) {
        if (!status.jmx()) {
            return () -> { };
        }
        JmxReporter reporter = JmxReporter.forRegistry(assembly.worker().metrics()).inDomain("streamfleet").build();
        reporter.start();
        LOG.info("worker totals are MBeans in JMX domain streamfleet (status.jmx)");
        return reporter;
    }

    private static Map<String, String> systemProperties() {
        Map<String, String> properties = new HashMap<>();
        System.getProperties().stringPropertyNames().forEach(name -> properties.put(name, System.getProperty(name)));
        return properties;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
