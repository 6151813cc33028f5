package dev.streamfleet.coordinator;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on loopback in front of one server port (ZooKeeper's, say), which a test uses to
 * break the network between a client and that server in the ways that matter:
 * <ul>
 *   <li>{@link #cut}: every connection drops and new ones are refused (a crashed host), until
 *       {@link #heal};</li>
 *   <li>{@link #dropConnections}: the connections drop, the next one passes (a flap);</li>
 *   <li>{@link #swallowAnswers}: the server's bytes stop reaching the client, the client's still
 *       reach the server (an answer lost with its connection);</li>
 *   <li>{@link #partitionSilently}: every byte both ways is read and dropped, and no connection is
 *       closed, new ones included, so neither end learns anything until its own timeouts fire (a
 *       network that loses packets), until {@link #healPartition}.</li>
 * </ul>
 * Dropping instead of holding bytes back keeps every sender from blocking on a full buffer.
 */
public final class LoopbackProxy implements AutoCloseable {

    private final int targetPort;
    private final int port;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicLong answered = new AtomicLong();
    private volatile boolean swallowAnswers;
    private volatile boolean partitioned;
    private volatile ServerSocket server;

    public LoopbackProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        ServerSocket socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        this.port = socket.getLocalPort();
        listen(socket);
    }

    public int port() {
        return port;
    }

    public String connectString() {
        return "127.0.0.1:" + port;
    }

    /** Bytes of the server's answers passed to the client so far. */
    public long answeredBytes() {
        return answered.get();
    }

    public void swallowAnswers(boolean swallow) {
        swallowAnswers = swallow;
    }

    /** Drops every connection and refuses new ones. */
    public synchronized void cut() {
        if (server != null) {
            closeQuietly(server);
            server = null;
        }
        dropAll();
    }

    /** Accepts again on the same port, with answers passed again. */
    public synchronized void heal() throws IOException {
        swallowAnswers = false;
        if (server != null) {
            return;
        }
        ServerSocket socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        listen(socket);
    }

    /** Closes the connections passing now; the client's next one passes, with answers again. */
    public synchronized void dropConnections() {
        swallowAnswers = false;
        dropAll();
    }

    /** From now on nothing passes, either way, and nobody is told. */
    public void partitionSilently() {
        partitioned = true;
    }

    /** Ends the partition: the connections it cut are closed (bytes were lost in them), and new ones pass. */
    public void healPartition() {
        partitioned = false;
        dropAll();
    }

    private void listen(ServerSocket socket) {
        server = socket;
        Thread acceptor = new Thread(() -> accept(socket), "loopback-proxy-accept-" + port);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void dropAll() {
        List<Socket> open = List.copyOf(sockets);
        sockets.removeAll(open);
        open.forEach(LoopbackProxy::closeQuietly);
    }

    private void accept(ServerSocket socket) {
        while (!socket.isClosed()) {
            Socket client;
            try {
                client = socket.accept();
            } catch (IOException e) {
                return;
            }
            sockets.add(client);
            if (partitioned) {
                pump(client, null, false);
                continue;
            }
            try {
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                sockets.add(upstream);
                pump(client, upstream, false);
                pump(upstream, client, true);
            } catch (IOException e) {
                // Nothing listens there: refused, as a direct connection would be.
                closeQuietly(client);
            }
        }
    }

    /** Copies {@code from} to {@code to} (dropping what a partition or a swallow says); a null {@code to} drops all. */
    private void pump(Socket from, Socket to, boolean answers) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to == null ? null : to.getOutputStream();
                int read;
                while ((read = in.read(buffer)) >= 0) {
                    if (partitioned || out == null || (answers && swallowAnswers)) {
                        continue;
                    }
                    out.write(buffer, 0, read);
                    out.flush();
                    if (answers) {
                        answered.addAndGet(read);
                    }
                }
            } catch (IOException e) {
                // Cut, dropped or closed.
            }
            if (!partitioned) {
                closeQuietly(from);
                if (to != null) {
                    closeQuietly(to);
                }
            }
        }, "loopback-proxy-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // Closing anyway.
        }
    }

    @Override
    public synchronized void close() {
        partitioned = false;
        cut();
    }
}
