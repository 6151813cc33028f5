package dev.streamfleet.deploy.localstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.apache.curator.test.TestingZooKeeperServer;

/**
 * The real ZooKeeper server embedded in this JVM: one standalone server, or a quorum ensemble
 * of several members whose members fault tests can kill and restart one by one.
 */
public final class EmbeddedZooKeeper implements ManagedServer {

    static {
        // An embedded server that fails (say, on a port taken meanwhile) must not exit the whole JVM, which
        // is what ZooKeeper does by default.
        org.apache.zookeeper.util.ServiceUtils.setSystemExitProcedure(org.apache.zookeeper.util.ServiceUtils.LOG_ONLY);
    }

    /** Session timeouts from 2 ticks up to this are accepted, so fleets can choose short or long sessions. */
    private static final int MAX_SESSION_TIMEOUT_MS = 60_000;
    private static final java.time.Duration START_TIMEOUT = java.time.Duration.ofSeconds(15);

    private final TestingCluster cluster;
    private final List<Member> members;

    private EmbeddedZooKeeper(TestingCluster cluster, List<InstanceSpec> specs) {
        this.cluster = cluster;
        List<Member> list = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            list.add(new Member(i, specs.get(i)));
        }
        this.members = List.copyOf(list);
    }

    static EmbeddedZooKeeper create(Path dir, int size, int tickMillis) {
        if (size < 1) {
            throw new IllegalArgumentException("a ZooKeeper ensemble needs at least one member, not " + size);
        }
        List<InstanceSpec> specs = new ArrayList<>();
        for (int id = 1; id <= size; id++) {
            createDirectories(dir.resolve("member-" + id));
            Map<String, Object> properties = Map.of(
                    "clientPortAddress", LoopbackPorts.HOST,
                    "admin.enableServer", "false",
                    "maxSessionTimeout", Integer.toString(MAX_SESSION_TIMEOUT_MS));
            specs.add(new InstanceSpec(dir.resolve("member-" + id).toFile(), LoopbackPorts.free(), LoopbackPorts.free(),
                    LoopbackPorts.free(), false, id, tickMillis, -1, properties, LoopbackPorts.HOST));
        }
        return new EmbeddedZooKeeper(new TestingCluster(specs), specs);
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }

    @Override
    public String name() {
        return members.size() == 1 ? "zookeeper" : "zookeeper ensemble";
    }

    /** The connect string of every member. */
    @Override
    public String endpoint() {
        return members.stream().map(Member::endpoint).collect(Collectors.joining(","));
    }

    /** The members, in server-id order. */
    public List<Member> members() {
        return members;
    }

    @Override
    public synchronized boolean isRunning() {
        return members.stream().anyMatch(Member::isRunning);
    }

    @Override
    public synchronized void start() {
        if (members.stream().noneMatch(m -> m.started)) {
            startCluster();
            members.forEach(m -> m.running = m.started = true);
        } else {
            members.forEach(Member::start);
        }
    }

    /**
     * Starts every member, bounded: a member whose port was taken meanwhile never reports that it
     * started, and would otherwise block this thread forever.
     */
    private void startCluster() {
        java.util.concurrent.ExecutorService starter = java.util.concurrent.Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "zookeeper-start");
            thread.setDaemon(true);
            return thread;
        });
        try {
            starter.submit(() -> {
                cluster.start();
                return null;
            }).get(START_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new StartupTimeoutException("ZooKeeper did not start within " + START_TIMEOUT.toSeconds()
                    + " s on " + endpoint() + " (was a port taken meanwhile?)");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new StartupTimeoutException("ZooKeeper did not start: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupTimeoutException("interrupted while starting ZooKeeper");
        } finally {
            starter.shutdownNow();
        }
    }

    @Override
    public synchronized void stop() {
        members.forEach(Member::stop);
    }

    @Override
    public synchronized void kill() {
        members.forEach(Member::kill);
    }

    @Override
    public synchronized void close() {
        try {
            cluster.close();
        } catch (IOException | RuntimeException e) {
            // close() never throws.
        }
        members.forEach(m -> m.running = false);
    }

    /** One member of the ensemble. */
    public final class Member implements ManagedServer {
        private final int index;
        private final InstanceSpec spec;
        private boolean started;
        private boolean running;

        private Member(int index, InstanceSpec spec) {
            this.index = index;
            this.spec = spec;
        }

        @Override
        public String name() {
            return "zookeeper member " + spec.getServerId();
        }

        @Override
        public String endpoint() {
            return LoopbackPorts.HOST + ":" + spec.getPort();
        }

        @Override
        public boolean isRunning() {
            synchronized (EmbeddedZooKeeper.this) {
                return running;
            }
        }

        @Override
        public void start() {
            synchronized (EmbeddedZooKeeper.this) {
                if (running) {
                    return;
                }
                try {
                    cluster.restartServer(spec);
                } catch (Exception e) {
                    throw new StartupTimeoutException(name() + " did not restart: " + e.getMessage());
                }
                running = started = true;
            }
        }

        @Override
        public void stop() {
            synchronized (EmbeddedZooKeeper.this) {
                if (!running) {
                    return;
                }
                try {
                    server().stop();
                } catch (IOException e) {
                    throw new IllegalStateException(name() + " did not stop: " + e.getMessage(), e);
                }
                running = false;
            }
        }

        @Override
        public void kill() {
            synchronized (EmbeddedZooKeeper.this) {
                if (!running) {
                    return;
                }
                try {
                    cluster.killServer(spec);
                } catch (Exception e) {
                    throw new IllegalStateException(name() + " could not be killed: " + e.getMessage(), e);
                }
                running = false;
            }
        }

        @Override
        public void close() {
            try {
                stop();
            } catch (RuntimeException e) {
                // close() never throws.
            }
        }

        private TestingZooKeeperServer server() {
            return cluster.getServers().get(index);
        }
    }
}
