package dev.streamfleet.worker.internal.cli;

import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.worker.config.FleetConfig;
import dev.streamfleet.worker.embed.EmbeddedWorker;
import dev.streamfleet.worker.embed.Streamfleet;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

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
    public Integer call() throws InterruptedException {
        FleetConfig fleet = options.load();
        CountDownLatch stop = new CountDownLatch(1);
        Signals.onTermination(stop::countDown);
        WorkerId id;
        try (EmbeddedWorker worker = Streamfleet.worker().config(fleet).start()) {
            id = worker.id();
            LOG.info("worker {} joined fleet {} ({} sources), status at {}; SIGTERM or Ctrl-C hands its units over"
                    + " and stops it", id, fleet.application(), fleet.sources().size(), worker.statusUrl().orElse("-"));
            try (ClassArchiveBuilder archive = ClassArchiveBuilder.start(ClassSharing.of(systemProperties()),
                    ARCHIVE_AFTER_JOIN)) {
                stop.await();
            }
            LOG.info("stopping: handing units over");
        }
        LOG.info("worker {} stopped", id);
        return 0;
    }

    private static Map<String, String> systemProperties() {
        Map<String, String> properties = new HashMap<>();
        System.getProperties().stringPropertyNames().forEach(name -> properties.put(name, System.getProperty(name)));
        return properties;
    }
}
