package dev.streamfleet.it.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A TCP proxy in the test's JVM between a worker and one server (a ZooKeeper member, the
 * DynamoDB emulator), which the test can cut as a network partition cuts: a blackhole, not a
 * refusal. While cut, connections already open stay open but every byte read from either side
 * is dropped, and a new connection is accepted (the client's connect succeeds) but never joined
 * to the server, so it gets nothing. Nobody is told: the client finds out only through its own
 * timeouts, as it would on a real network.
 *
 * <p>{@link #heal()} lets bytes flow again on new connections and closes every connection that
 * lived through the cut, both sides: their streams lost bytes, so what came after would be
 * garbage to either end. (TCP would have retransmitted those bytes after a short partition; a
 * client that reconnects at once is what a longer one looks like, and every client here must
 * survive that.)
 *
 * <p>Listens on 127.0.0.1 on a port chosen at run time. Its threads are daemons named after the
 * proxy; {@link #close()} stops them all, waiting at most {@link #CLOSE_WAIT} for each.
 */
final class TcpProxy implements AutoCloseable {

    static final Duration CLOSE_WAIT = Duration.ofSeconds(5);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

    private enum State { OPEN, CUT, CLOSED }

    private final String name;
    private final InetSocketAddress target;
    private final ServerSocket server;
    private final AtomicReference<State> state = new AtomicReference<>(State.OPEN);
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();

    private TcpProxy(String name, InetSocketAddress target, ServerSocket server) {
        this.name = name;
        this.target = target;
        this.server = server;
    }

    /** A proxy named {@code name} (for its threads and messages) to {@code host:port}, already accepting. */
    static TcpProxy to(String name, String host, int port) {
        try {
            ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            TcpProxy proxy = new TcpProxy(name, new InetSocketAddress(host, port), server);
            proxy.thread("accept", proxy::accept);
            return proxy;
        } catch (IOException e) {
            throw new UncheckedIOException("proxy " + name + ": cannot listen on 127.0.0.1: " + e.getMessage(), e);
        }
    }

    /** A proxy to the {@code host:port} of an endpoint such as {@code http://127.0.0.1:8000} or {@code 127.0.0.1:2181}. */
    static TcpProxy to(String name, String endpoint) {
        String hostPort = endpoint.replaceFirst("^[a-z]+://", "").replaceFirst("/.*$", "");
        int colon = hostPort.lastIndexOf(':');
        return to(name, hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /** The port it listens on, on 127.0.0.1. */
    int port() {
        return server.getLocalPort();
    }

    /** {@code 127.0.0.1:<port>}: a ZooKeeper connect string of one server, for instance. */
    String address() {
        return "127.0.0.1:" + port();
    }

    /** Partitions: from now on no byte passes either way, and new connections get nothing. */
    void cut() {
        if (!state.compareAndSet(State.OPEN, State.CUT)) {
            throw new IllegalStateException("proxy " + name + " is " + state.get() + ", not OPEN: cannot cut it");
        }
        for (Link link : links) {
            link.cutThrough = true;
        }
    }

    /** Ends the partition: the connections that lived through it are closed, and new ones are joined again. */
    void heal() {
        if (!state.compareAndSet(State.CUT, State.OPEN)) {
            throw new IllegalStateException("proxy " + name + " is " + state.get() + ", not CUT: cannot heal it");
        }
        for (Link link : links) {
            if (link.cutThrough) {
                link.close();
            }
        }
    }

    boolean isCut() {
        return state.get() == State.CUT;
    }

    /** How many connections it has accepted, joined or not. */
    int connections() {
        return connections.get();
    }

    /** How many bytes it has dropped because it was cut. */
    long droppedBytes() {
        return dropped.get();
    }

    private void accept() {
        while (state.get() != State.CLOSED) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            int number = connections.incrementAndGet();
            Link link = new Link(client);
            links.add(link);
            if (state.get() == State.CLOSED) {
                link.close();
            } else if (state.get() == State.CUT) {
                // Accepted and left unanswered; heal() closes it.
                link.cutThrough = true;
            } else {
                thread(number + "-join", () -> link.join(number));
            }
        }
    }

    /** One client connection and, once joined, its connection to the target. */
    private final class Link {
        final Socket client;
        volatile Socket upstream;
        /** Whether the proxy was cut at some time while this link was open: its streams lost bytes. */
        volatile boolean cutThrough;

        Link(Socket client) {
            this.client = client;
        }

        void join(int number) {
            Socket socket = new Socket();
            try {
                socket.connect(target, (int) CONNECT_TIMEOUT.toMillis());
                socket.setTcpNoDelay(true);
                client.setTcpNoDelay(true);
            } catch (IOException e) {
                closeQuietly(socket);
                close();
                return;
            }
            upstream = socket;
            if (state.get() != State.OPEN) {
                // Cut or closed while connecting: nothing of this link may pass.
                cutThrough = true;
                if (state.get() == State.CLOSED) {
                    close();
                }
            }
            thread(number + "-up", () -> pump(client, socket));
            thread(number + "-down", () -> pump(socket, client));
        }

        private void pump(Socket from, Socket to) {
            byte[] buffer = new byte[16 * 1024];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                for (int read; (read = in.read(buffer)) >= 0; ) {
                    if (state.get() != State.OPEN || cutThrough) {
                        cutThrough = true;
                        dropped.addAndGet(read);
                        continue;
                    }
                    out.write(buffer, 0, read);
                    out.flush();
                }
            } catch (IOException e) {
                // The other side closed or reset, or we closed it: the link is over.
            }
            close();
        }

        void close() {
            links.remove(this);
            closeQuietly(client);
            Socket socket = upstream;
            if (socket != null) {
                closeQuietly(socket);
            }
        }
    }

    /** Starts a daemon thread named after this proxy, remembered so that close() can wait for it. */
    private Thread thread(String role, Runnable body) {
        Thread thread = new Thread(() -> {
            try {
                body.run();
            } finally {
                threads.remove(Thread.currentThread());
            }
        }, "tcp-proxy-" + name + "-" + role);
        thread.setDaemon(true);
        threads.add(thread);
        thread.start();
        return thread;
    }

    /** Stops accepting, closes every connection and waits (bounded) for its threads. */
    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) == State.CLOSED) {
            return;
        }
        closeQuietly(server);
        for (Link link : links) {
            link.close();
        }
        List<String> stuck = new ArrayList<>();
        long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
        for (Thread thread : List.copyOf(threads)) {
            try {
                thread.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (thread.isAlive()) {
                stuck.add(thread.getName());
            }
        }
        if (!stuck.isEmpty()) {
            throw new IllegalStateException("proxy " + name + ": threads still running " + CLOSE_WAIT + " after close: "
                    + stuck);
        }
    }

    private static void closeQuietly(java.io.Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException e) {
            // Closing is all we wanted.
        }
    }

    @Override
    public String toString() {
        return "proxy " + name + " " + address() + " → " + target.getHostString() + ":" + target.getPort()
                + " (" + state.get() + ")";
    }
}
