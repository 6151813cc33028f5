package dev.streamfleet.deploy.localstack;

import dev.streamfleet.deploy.kafka.BrokerClasspath;
import dev.streamfleet.deploy.kafka.ChildJvmMain;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A single-node KRaft Kafka broker (broker and controller in one) in a child JVM. Its log
 * directory survives restarts, so a restarted broker keeps its topics and records.
 */
public final class KafkaBroker implements ManagedServer {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration FORMAT_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_GRACE = Duration.ofSeconds(15);

    private final Path dir;
    private final int port;
    private final int controllerPort;
    private ChildProcess process;

    private KafkaBroker(Path dir, int port, int controllerPort) {
        this.dir = dir;
        this.port = port;
        this.controllerPort = controllerPort;
    }

    static KafkaBroker create(Path dir) {
        KafkaBroker broker = new KafkaBroker(dir, LoopbackPorts.free(), LoopbackPorts.free());
        broker.writeConfig();
        broker.formatStorage();
        return broker;
    }

    @Override
    public String name() {
        return "kafka";
    }

    /** The bootstrap servers string. */
    @Override
    public String endpoint() {
        return LoopbackPorts.HOST + ":" + port;
    }

    /** The operating-system pid of the broker JVM; for fault tests. */
    public synchronized long pid() {
        if (process == null) {
            throw new IllegalStateException("kafka is not running");
        }
        return process.pid();
    }

    @Override
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    @Override
    public synchronized void start() {
        if (isRunning()) {
            return;
        }
        ChildProcess started = ChildProcess.start("kafka",
                javaCommand(ChildJvmMain.class.getName(), "kafka.Kafka", serverProperties().toString()),
                dir, Map.of(), dir.resolve("broker.log"));
        process = started;
        try {
            Readiness.await("kafka on " + endpoint(), START_TIMEOUT, started::requireAlive,
                    () -> LoopbackPorts.accepts(port) && answersMetadata());
        } catch (RuntimeException e) {
            started.kill();
            process = null;
            throw e;
        }
    }

    @Override
    public synchronized void stop() {
        if (process != null) {
            process.stop(STOP_GRACE);
            process = null;
        }
    }

    @Override
    public synchronized void kill() {
        if (process != null) {
            process.kill();
            process = null;
        }
    }

    @Override
    public synchronized void close() {
        try {
            stop();
        } catch (RuntimeException e) {
            // close() never throws; the process is gone or was killed.
        }
    }

    private boolean answersMetadata() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, endpoint());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "2000");
        try (Admin admin = Admin.create(props)) {
            return !admin.describeCluster().nodes().get(2, TimeUnit.SECONDS).isEmpty();
        } catch (ExecutionException | TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private Path serverProperties() {
        return dir.resolve("server.properties");
    }

    private void writeConfig() {
        String controller = LoopbackPorts.HOST + ":" + controllerPort;
        List<String> lines = List.of(
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@" + controller,
                "listeners=PLAINTEXT://" + endpoint() + ",CONTROLLER://" + controller,
                "advertised.listeners=PLAINTEXT://" + endpoint(),
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "log.dirs=" + dir.resolve("data"),
                "num.partitions=1",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=4",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=false",
                "log.flush.interval.messages=9223372036854775807");
        List<String> log4j = List.of(
                "appender.stdout.type=Console",
                "appender.stdout.name=STDOUT",
                "appender.stdout.layout.type=PatternLayout",
                "appender.stdout.layout.pattern=%d{HH:mm:ss.SSS} %-5p %c{1} - %m%n",
                "rootLogger.level=WARN",
                "rootLogger.appenderRef.stdout.ref=STDOUT",
                "logger.server.name=kafka.server.KafkaRaftServer",
                "logger.server.level=INFO");
        try {
            Files.createDirectories(dir);
            Files.write(serverProperties(), lines, StandardCharsets.UTF_8);
            Files.write(dir.resolve("log4j2.properties"), log4j, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the Kafka broker's configuration in " + dir, e);
        }
    }

    private void formatStorage() {
        ChildProcess format = ChildProcess.start("kafka storage format",
                javaCommand("kafka.tools.StorageTool", "format", "-t", Uuid.randomUuid().toString(),
                        "-c", serverProperties().toString()),
                dir, Map.of(), dir.resolve("format.log"));
        try {
            Readiness.await("kafka storage format", FORMAT_TIMEOUT, () -> { }, () -> !format.isAlive());
        } catch (RuntimeException e) {
            format.kill();
            throw e;
        }
        if (!Files.isRegularFile(dir.resolve("data").resolve("meta.properties"))) {
            throw new StartupTimeoutException("formatting the Kafka broker's storage failed; log " + format.log() + ":"
                    + System.lineSeparator() + format.logTail(20));
        }
    }

    private List<String> javaCommand(String mainClass, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xms64m");
        command.add("-Xmx768m");
        command.add("-XX:+UseSerialGC");
        command.add("-Djava.awt.headless=true");
        command.add("-Djava.io.tmpdir=" + dir);
        command.add("-Dlog4j2.configurationFile=" + dir.resolve("log4j2.properties"));
        command.add("-cp");
        command.add(BrokerClasspath.entries().stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator)));
        command.add(mainClass);
        command.addAll(List.of(args));
        return command;
    }
}
