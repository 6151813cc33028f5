package dev.streamfleet.coordinator.internal.zk;

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
 * A TCP proxy on loopback between one client and ZooKeeper (after it-tests' ZkProxy) that can also
 * swallow the server's answers while still passing the client's requests: a request applied on the
 * server whose answer is lost, as when a connection drops at the wrong moment.
 */
final class HoldingZkProxy implements AutoCloseable {

    private final int targetPort;
    private final int port;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicLong answered = new AtomicLong();
    private volatile boolean swallowAnswers;
    private volatile ServerSocket server;

    HoldingZkProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        ServerSocket probe = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.port = probe.getLocalPort();
        probe.close();
        heal();
    }

    String connectString() {
        return "127.0.0.1:" + port;
    }

    /** Bytes of the server's answers passed to the client so far. */
    long answeredBytes() {
        return answered.get();
    }

    void swallowAnswers(boolean swallow) {
        swallowAnswers = swallow;
    }

    synchronized void heal() throws IOException {
        if (server != null) {
            return;
        }
        swallowAnswers = false;
        ServerSocket socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        server = socket;
        Thread acceptor = new Thread(() -> accept(socket), "zk-proxy-accept-" + port);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Closes the connections passing now; the client's next one passes, with answers again. */
    synchronized void dropConnections() {
        swallowAnswers = false;
        sockets.forEach(HoldingZkProxy::closeQuietly);
        sockets.clear();
    }

    synchronized void cut() {
        if (server != null) {
            closeQuietly(server);
            server = null;
        }
        sockets.forEach(HoldingZkProxy::closeQuietly);
        sockets.clear();
    }

    private void accept(ServerSocket socket) {
        while (!socket.isClosed()) {
            try {
                Socket client = socket.accept();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                sockets.add(client);
                sockets.add(upstream);
                pump(client, upstream, false);
                pump(upstream, client, true);
            } catch (IOException e) {
                return;
            }
        }
    }

    private void pump(Socket from, Socket to, boolean answers) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int read;
                while ((read = in.read(buffer)) >= 0) {
                    if (answers && swallowAnswers) {
                        continue;
                    }
                    out.write(buffer, 0, read);
                    out.flush();
                    if (answers) {
                        answered.addAndGet(read);
                    }
                }
            } catch (IOException e) {
                // Cut or closed.
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "zk-proxy-pump");
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
    public void close() {
        cut();
    }
}
