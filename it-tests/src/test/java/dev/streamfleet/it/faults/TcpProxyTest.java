package dev.streamfleet.it.faults;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class TcpProxyTest {

    /** How long a read waits for bytes that must not come: a bounded wait, not a pause. */
    private static final int SILENCE_MILLIS = 300;
    private static final int ANSWER_MILLIS = 5_000;

    private final EchoServer echo = new EchoServer();
    private final TcpProxy proxy = TcpProxy.to("test", "127.0.0.1", echo.port());

    @AfterEach
    void close() throws IOException {
        proxy.close();
        echo.close();
    }

    @Test
    void bytesPassBothWaysWhileOpen() throws IOException {
        try (Socket socket = connect()) {
            assertThat(exchange(socket, "hello")).isEqualTo("hello");
            assertThat(exchange(socket, "again")).isEqualTo("again");
        }
        assertThat(proxy.connections()).isEqualTo(1);
        assertThat(echo.received()).isEqualTo("helloagain");
    }

    @Test
    void aCutConnectionStaysOpenButNothingPassesEitherWay() throws IOException {
        try (Socket socket = connect()) {
            assertThat(exchange(socket, "before")).isEqualTo("before");
            proxy.cut();
            socket.getOutputStream().write("during".getBytes(StandardCharsets.UTF_8));
            socket.setSoTimeout(SILENCE_MILLIS);
            assertThatThrownBy(() -> socket.getInputStream().read()).as("an answer through the cut")
                    .isInstanceOf(SocketTimeoutException.class);
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.droppedBytes() == "during".length());
            assertThat(echo.received()).as("what the server got").isEqualTo("before");
            assertThat(socket.isClosed()).isFalse();
        }
    }

    @Test
    void aConnectionMadeDuringTheCutIsAcceptedAndAnsweredNothing() throws IOException {
        proxy.cut();
        try (Socket socket = connect()) {
            socket.getOutputStream().write("hello".getBytes(StandardCharsets.UTF_8));
            socket.setSoTimeout(SILENCE_MILLIS);
            assertThatThrownBy(() -> socket.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.connections() == 1);
            assertThat(echo.connections()).as("connections that reached the server").isZero();
        }
    }

    @Test
    void healingClosesConnectionsThatLivedThroughTheCutAndNewOnesWork() throws IOException {
        Socket throughTheCut = connect();
        assertThat(exchange(throughTheCut, "before")).isEqualTo("before");
        proxy.cut();
        Socket madeDuringTheCut = connect();
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.connections() == 2);

        proxy.heal();

        for (Socket socket : new Socket[] {throughTheCut, madeDuringTheCut}) {
            socket.setSoTimeout(ANSWER_MILLIS);
            assertThat(endOrReset(socket)).as("the connection ended after the heal").isTrue();
            socket.close();
        }
        try (Socket socket = connect()) {
            assertThat(exchange(socket, "after")).isEqualTo("after");
        }
        assertThat(echo.received()).isEqualTo("beforeafter");
    }

    @Test
    void cuttingTwiceOrHealingWhatIsNotCutFailsLoudly() {
        assertThatThrownBy(proxy::heal).isInstanceOf(IllegalStateException.class).hasMessageContaining("not CUT");
        proxy.cut();
        assertThatThrownBy(proxy::cut).isInstanceOf(IllegalStateException.class).hasMessageContaining("not OPEN");
    }

    @Test
    void closeEndsEveryConnectionAndThreadItStarted() throws IOException {
        Socket open = connect();
        assertThat(exchange(open, "hello")).isEqualTo("hello");
        assertThat(proxyThreads()).as("the proxy's threads while a connection is open").isPositive();

        proxy.close();

        open.setSoTimeout(ANSWER_MILLIS);
        assertThat(endOrReset(open)).isTrue();
        open.close();
        assertThat(proxyThreads()).as("the proxy's threads after close").isZero();
        assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), proxy.port()).close())
                .as("a connection to the closed proxy").isInstanceOf(IOException.class);
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
        socket.setSoTimeout(ANSWER_MILLIS);
        return socket;
    }

    /** Writes {@code text} and reads as many bytes back. */
    private static String exchange(Socket socket, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        socket.getOutputStream().write(bytes);
        byte[] answer = socket.getInputStream().readNBytes(bytes.length);
        return new String(answer, StandardCharsets.UTF_8);
    }

    private static boolean endOrReset(Socket socket) throws IOException {
        try {
            return socket.getInputStream().read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    private long proxyThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("tcp-proxy-test-") && t.isAlive())
                .peek(t -> assertThat(t.isDaemon()).as("%s is a daemon", t.getName()).isTrue())
                .count();
    }

    /** Echoes every connection's bytes back, and remembers what it received. */
    private static final class EchoServer implements AutoCloseable {
        private final ServerSocket server;
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        private final AtomicInteger connections = new AtomicInteger();

        EchoServer() {
            try {
                server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            Thread acceptor = new Thread(this::accept, "echo-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        int connections() {
            return connections.get();
        }

        String received() {
            synchronized (received) {
                return received.toString(StandardCharsets.UTF_8);
            }
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    connections.incrementAndGet();
                    Thread echo = new Thread(() -> echo(socket), "echo-" + connections.get());
                    echo.setDaemon(true);
                    echo.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void echo(Socket socket) {
            try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
                byte[] buffer = new byte[1024];
                for (int read; (read = in.read(buffer)) >= 0; ) {
                    synchronized (received) {
                        received.write(buffer, 0, read);
                    }
                    out.write(buffer, 0, read);
                    out.flush();
                }
            } catch (IOException e) {
                // the connection ended
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
