package dev.streamfleet.deploy.localstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Real servers on 127.0.0.1 with ports chosen at run time: ZooKeeper (embedded), the Kinesis and
 * DynamoDB emulators (Node processes) and a Kafka broker (child JVM). Used by the integration
 * tests, the demo and {@code streamfleet local-stack}.
 *
 * <p>Lifecycle: {@link #start} starts every configured server and waits, bounded, until each
 * answers; {@link #close} stops them all. A shutdown hook stops them too when the JVM exits, and
 * every child process exits by itself when this JVM dies, even by {@code kill -9}.
 */
public final class LocalStack implements AutoCloseable {

    /** The region name that clients of the emulators use. */
    public static final String REGION = "us-east-1";

    private enum State { STARTED, CLOSED }

    private static final int START_ATTEMPTS = 3;

    private final LocalStackConfig config;
    private final List<ManagedServer> servers = new ArrayList<>();
    private final AtomicReference<State> state = new AtomicReference<>(State.STARTED);
    private final Thread shutdownHook = new Thread(this::stopAll, "local-stack-shutdown");
    private volatile EmbeddedZooKeeper zookeeper;
    private volatile NodeEmulator kinesis;
    private volatile NodeEmulator dynamodb;
    private volatile KafkaBroker kafka;
    private volatile NodeEmulator kinesalite;

    private LocalStack(LocalStackConfig config) {
        this.config = config;
    }

    /** Starts the configured servers; on any failure, stops what already started and rethrows. */
    public static LocalStack start(LocalStackConfig config) {
        LocalStack stack = new LocalStack(config);
        Runtime.getRuntime().addShutdownHook(stack.shutdownHook);
        try {
            stack.startServers();
            return stack;
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
    }

    private void startServers() {
        Path dir = config.workDir();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the local stack's directory " + dir, e);
        }
        if (config.zookeeperMembers() > 0) {
            // ZooKeeper first: it is quick, and its ports are then bound before the other servers start
            // making connections from ephemeral ports that could collide with ports chosen here.
            zookeeper = startWithFreshPorts("zookeeper", () -> EmbeddedZooKeeper.create(dir.resolve("zookeeper"),
                    config.zookeeperMembers(), config.zookeeperTickMillis()));
        }
        List<CompletableFuture<Void>> starting = new ArrayList<>();
        if (config.kafka()) {
            starting.add(CompletableFuture.runAsync(() -> kafka = startWithFreshPorts("kafka",
                    () -> KafkaBroker.create(dir.resolve("kafka")))));
        }
        if (config.kinesis() || config.dynamodb() || config.kinesalite()) {
            EmulatorPackages packages = EmulatorPackages.installed();
            if (config.dynamodb()) {
                starting.add(CompletableFuture.runAsync(() -> dynamodb = startWithFreshPorts("dynamodb",
                        () -> NodeEmulator.dynamodb(packages, dir.resolve("logs"),
                                config.persistent() ? java.util.Optional.of(dir.resolve("dynamodb-data")) : java.util.Optional.empty()))));
            }
            if (config.kinesis()) {
                starting.add(CompletableFuture.runAsync(() -> kinesis = startWithFreshPorts("kinesis",
                        () -> NodeEmulator.kinesis(packages, dir.resolve("logs"),
                                config.persistent() ? java.util.Optional.of(dir.resolve("kinesis-data")) : java.util.Optional.empty()))));
            }
            if (config.kinesalite()) {
                starting.add(CompletableFuture.runAsync(() -> kinesalite = startWithFreshPorts("kinesalite",
                        () -> NodeEmulator.kinesalite(packages, dir.resolve("logs")))));
            }
        }
        try {
            CompletableFuture.allOf(starting.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }

    /**
     * Creates a server on freshly chosen ports and starts it. A port chosen free can be taken by
     * someone else before the server binds it, so a failed first start is retried on new ports.
     */
    private <S extends ManagedServer> S startWithFreshPorts(String name, java.util.function.Supplier<S> create) {
        RuntimeException failure = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            S server = register(create.get());
            try {
                server.start();
                return server;
            } catch (RuntimeException e) {
                failure = e;
                server.close();
                synchronized (servers) {
                    servers.remove(server);
                }
            }
        }
        throw failure;
    }

    private <S extends ManagedServer> S register(S server) {
        synchronized (servers) {
            servers.add(server);
        }
        return server;
    }

    /**
     * Leaves stopping on JVM exit to the caller, whose own shutdown hook must then close this
     * stack after stopping what uses it (shutdown hooks run concurrently, in no order).
     */
    public void detachShutdownHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // Already shutting down.
        }
    }

    /** The directory that holds every file of this stack. */
    public Path workDir() {
        return config.workDir();
    }

    public EmbeddedZooKeeper zookeeper() {
        return require(zookeeper, "zookeeper");
    }

    public NodeEmulator kinesis() {
        return require(kinesis, "kinesis");
    }

    public NodeEmulator dynamodb() {
        return require(dynamodb, "dynamodb");
    }

    public KafkaBroker kafka() {
        return require(kafka, "kafka");
    }

    /** The fast, less faithful Kinesis emulator; its clients must turn CBOR off. */
    public NodeEmulator kinesalite() {
        return require(kinesalite, "kinesalite");
    }

    /** Every started server's endpoint by name, in start order. */
    public Map<String, String> endpoints() {
        Map<String, String> endpoints = new LinkedHashMap<>();
        Optional.ofNullable(zookeeper).ifPresent(s -> endpoints.put("zookeeper", s.endpoint()));
        Optional.ofNullable(kinesis).ifPresent(s -> endpoints.put("kinesis", s.endpoint()));
        Optional.ofNullable(dynamodb).ifPresent(s -> endpoints.put("dynamodb", s.endpoint()));
        Optional.ofNullable(kafka).ifPresent(s -> endpoints.put("kafka", s.endpoint()));
        Optional.ofNullable(kinesalite).ifPresent(s -> endpoints.put("kinesalite", s.endpoint()));
        return endpoints;
    }

    private static <S> S require(S server, String name) {
        if (server == null) {
            throw new IllegalStateException("this local stack was started without " + name);
        }
        return server;
    }

    /** Stops every server it started. Idempotent. */
    @Override
    public void close() {
        if (state.compareAndSet(State.STARTED, State.CLOSED)) {
            stopAll();
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // Already shutting down: the hook is running or has run.
            }
        }
    }

    private void stopAll() {
        List<ManagedServer> toStop;
        synchronized (servers) {
            toStop = new ArrayList<>(servers);
        }
        List<CompletableFuture<Void>> stopping = new ArrayList<>();
        for (ManagedServer server : toStop) {
            stopping.add(CompletableFuture.runAsync(server::close));
        }
        stopping.forEach(CompletableFuture::join);
    }
}
