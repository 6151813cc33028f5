package dev.streamfleet.it.coordinator;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A TCP proxy on loopback that a test can turn into a silent partition: from then on it reads and
 * drops every byte in both directions and never closes a connection, new ones included, as a
 * network that loses packets does. Neither end learns anything until its own timeouts fire, which
 * is what a ZooKeeper follower cut from its leader must go through (unlike {@link ZkProxy}, whose
 * cut closes the connections and so tells both ends at once).
 *
 * <p>Dropping instead of holding bytes back keeps every sender from blocking on a full buffer.
 */
final class SilentPartition implements AutoCloseable {

    private final int targetPort;
    private final ServerSocket server;
    private final AtomicBoolean partitioned = new AtomicBoolean();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    SilentPartition(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        Thread acceptor = new Thread(this::accept, "silent-partition-accept-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** From now on nothing passes, and nobody is told. */
    void partition() {
        partitioned.set(true);
    }

    /**
     * Ends the partition: the connections it cut are closed (bytes were lost in them), and new
     * ones pass again.
     */
    void heal() {
        partitioned.set(false);
        List<Socket> cut = List.copyOf(sockets);
        sockets.removeAll(cut);
        cut.forEach(SilentPartition::closeQuietly);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                sockets.add(client);
                if (partitioned.get()) {
                    pump(client, null);
                    continue;
                }
                try {
                    Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                    sockets.add(upstream);
                    pump(client, upstream);
                    pump(upstream, client);
                } catch (IOException e) {
                    // Nothing listens there (a member that does not lead): refused, as a direct connection is.
                    closeQuietly(client);
                }
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Copies {@code from} to {@code to} until partitioned, then drops what arrives; a null {@code to} drops all. */
    private void pump(Socket from, Socket to) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to == null ? null : to.getOutputStream();
                int read;
                while ((read = in.read(buffer)) >= 0) {
                    if (!partitioned.get() && out != null) {
                        out.write(buffer, 0, read);
                        out.flush();
                    }
                }
            } catch (IOException e) {
                // Closed at the end of the test, or by an end before the partition.
            }
            if (!partitioned.get()) {
                closeQuietly(from);
                if (to != null) {
                    closeQuietly(to);
                }
            }
        }, "silent-partition-pump");
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
        closeQuietly(server);
        sockets.forEach(SilentPartition::closeQuietly);
    }
}
