package dev.streamfleet.deploy.localstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An emulator that runs as a Node.js process: {@code kinesis-local} for Kinesis or
 * {@code dynalite} for DynamoDB. It listens on a fixed loopback port for its whole life, so a
 * restart brings it back on the same endpoint, with empty state unless the stack keeps the
 * emulators' data on disk ({@link LocalStackConfig#persistent()}).
 */
public final class NodeEmulator implements ManagedServer {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);

    private final String name;
    private final EmulatorPackages packages;
    private final List<String> scriptAndArgs;
    private final Map<String, String> env;
    private final int port;
    private final Path logDir;
    private Path stateFile;
    private ChildProcess process;

    private NodeEmulator(String name, EmulatorPackages packages, List<String> scriptAndArgs, Map<String, String> env,
                         int port, Path logDir) {
        this.name = name;
        this.packages = packages;
        this.scriptAndArgs = List.copyOf(scriptAndArgs);
        this.env = Map.copyOf(env);
        this.port = port;
        this.logDir = logDir;
    }

    /**
     * kinesis-mock with short stream-state durations, so tests need not wait for CREATING → ACTIVE;
     * with a data directory it also writes its state there every 100 ms and loads it at start.
     * kinesis-mock itself listens on a second loopback port: on this emulator's port the preload's
     * front ({@code kinesis-front.js}) answers SubscribeToShard by Kinesis's documented rules
     * ({@code aws-fanout.js}) and passes every other request on to it.
     */
    static NodeEmulator kinesis(EmulatorPackages packages, Path logDir, java.util.Optional<Path> dataDir) {
        int port = LoopbackPorts.free();
        Path pkg = packages.packageDir("kinesis-local");
        Map<String, String> env = new HashMap<>();
        env.put("STREAMFLEET_KINESIS_FRONT_PORT", Integer.toString(port));
        env.put("KINESIS_MOCK_PLAIN_PORT", Integer.toString(LoopbackPorts.free()));
        env.put("KINESIS_MOCK_TLS_PORT", Integer.toString(LoopbackPorts.free()));
        env.put("KINESIS_MOCK_CERT_PATH", pkg.resolve("server.json").toString());
        env.put("SHARD_LIMIT", "1000");
        env.put("LOG_LEVEL", "WARN");
        env.put("AWS_REGION", LocalStack.REGION);
        for (String operation : List.of("CREATE_STREAM", "DELETE_STREAM", "SPLIT_SHARD", "MERGE_SHARDS",
                "UPDATE_SHARD_COUNT", "REGISTER_STREAM_CONSUMER", "DEREGISTER_STREAM_CONSUMER",
                "START_STREAM_ENCRYPTION", "STOP_STREAM_ENCRYPTION", "UPDATE_STREAM_MODE")) {
            env.put(operation + "_DURATION", "100ms");
        }
        dataDir.ifPresent(data -> {
            env.put("SHOULD_PERSIST_DATA", "true");
            env.put("LOAD_DATA_IF_EXISTS", "true");
            env.put("PERSIST_PATH", data.toAbsolutePath().toString());
            env.put("PERSIST_INTERVAL", "100ms");
        });
        NodeEmulator kinesis = new NodeEmulator("kinesis", packages, List.of(pkg.resolve("main.js").toString()), env, port,
                logDir);
        dataDir.ifPresent(data -> kinesis.stateFile = data.toAbsolutePath().resolve("kinesis-data.json"));
        return kinesis;
    }

    /**
     * kinesalite: 15–20 times faster than kinesis-local but less faithful (no ChildShards, no
     * MillisBehindLatest, and its clients must turn CBOR off). For volume benchmarks only.
     */
    static NodeEmulator kinesalite(EmulatorPackages packages, Path logDir) {
        int port = LoopbackPorts.free();
        Path cli = packages.packageDir("kinesalite").resolve("cli.js");
        List<String> args = List.of(cli.toString(), "--port", Integer.toString(port), "--shardLimit", "2000",
                "--createStreamMs", "50", "--deleteStreamMs", "50", "--updateStreamMs", "50");
        return new NodeEmulator("kinesalite", packages, args, Map.of(), port, logDir);
    }

    /** dynalite with short table-state durations, in memory or in a LevelDB store in the data directory. */
    static NodeEmulator dynamodb(EmulatorPackages packages, Path logDir, java.util.Optional<Path> dataDir) {
        int port = LoopbackPorts.free();
        Path cli = packages.packageDir("dynalite").resolve("cli.js");
        List<String> args = new java.util.ArrayList<>(List.of(cli.toString(), "--host", LoopbackPorts.HOST,
                "--port", Integer.toString(port), "--createTableMs", "50", "--deleteTableMs", "50", "--updateTableMs", "50"));
        dataDir.ifPresent(data -> {
            args.add("--path");
            args.add(data.toAbsolutePath().toString());
        });
        return new NodeEmulator("dynamodb", packages, args, Map.of(), port, logDir);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String endpoint() {
        return "http://" + LoopbackPorts.HOST + ":" + port;
    }

    public int port() {
        return port;
    }

    /** The operating-system pid of the running emulator; for fault tests. */
    public synchronized long pid() {
        if (process == null) {
            throw new IllegalStateException(name + " is not running");
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
        List<String> command = new ArrayList<>();
        command.add(EmulatorPackages.nodeExecutable());
        command.add("-r");
        command.add(packages.preload().toString());
        command.addAll(scriptAndArgs);
        Map<String, String> environment = new HashMap<>(env);
        environment.put("STREAMFLEET_WATCH_PARENT", "1");
        ChildProcess started = ChildProcess.start(name, command, packages.dir(), environment, logDir.resolve(name + ".log"));
        process = started;
        try {
            Readiness.await(name + " on " + endpoint(), START_TIMEOUT, started::requireAlive, () -> LoopbackPorts.accepts(port));
        } catch (RuntimeException e) {
            started.kill();
            process = null;
            throw e;
        }
    }

    @Override
    public synchronized void stop() {
        if (process != null) {
            Optional<byte[]> state = completeState();
            process.stop(STOP_GRACE);
            process = null;
            restoreIfTorn(state);
        }
    }

    /**
     * kinesis-mock rewrites its whole state file every 100 ms; stopped in the middle of a write,
     * it leaves the file empty or cut short and cannot start from it again. So the last complete
     * copy is read before stopping (a few tries, bounded) and put back if the stop tore the file.
     */
    private Optional<byte[]> completeState() {
        if (stateFile == null) {
            return Optional.empty();
        }
        for (int attempt = 0; attempt < 20; attempt++) {
            try {
                byte[] bytes = Files.readAllBytes(stateFile);
                if (isComplete(bytes)) {
                    return Optional.of(bytes);
                }
            } catch (IOException e) {
                // Not written yet or being replaced: try again.
            }
            java.util.concurrent.locks.LockSupport.parkNanos(java.time.Duration.ofMillis(50).toNanos());
        }
        return Optional.empty();
    }

    private void restoreIfTorn(Optional<byte[]> state) {
        if (state.isEmpty()) {
            return;
        }
        try {
            if (!Files.exists(stateFile) || !isComplete(Files.readAllBytes(stateFile))) {
                Files.write(stateFile, state.get());
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot restore the kinesis emulator's state in " + stateFile, e);
        }
    }

    /** A JSON object written to its end: it ends with its closing brace. */
    private static boolean isComplete(byte[] json) {
        int end = json.length - 1;
        while (end >= 0 && Character.isWhitespace(json[end])) {
            end--;
        }
        return end > 0 && json[0] == '{' && json[end] == '}';
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
}
