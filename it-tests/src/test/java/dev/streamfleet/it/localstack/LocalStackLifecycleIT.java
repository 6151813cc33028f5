package dev.streamfleet.it.localstack;

import dev.streamfleet.deploy.localstack.LocalStack;
import dev.streamfleet.deploy.localstack.LocalStackConfig;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The whole stack starts together, listens on loopback only, and leaves no process behind. */
class LocalStackLifecycleIT {

    @Test
    void everyServerStartsOnLoopbackAndEveryProcessIsGoneAfterClose() throws Exception {
        Path dir = Path.of(System.getProperty("streamfleet.localstack.workdir", "target/local-stack"))
                .resolve("lifecycle-" + System.currentTimeMillis());
        long kinesisPid;
        long dynamodbPid;
        long kafkaPid;
        try (LocalStack stack = LocalStack.start(LocalStackConfig.all(dir))) {
            assertThat(stack.endpoints()).containsOnlyKeys("zookeeper", "kinesis", "dynamodb", "kafka");
            kinesisPid = stack.kinesis().pid();
            dynamodbPid = stack.dynamodb().pid();
            kafkaPid = stack.kafka().pid();

            List<Integer> ports = List.of(
                    port(stack.zookeeper().endpoint()),
                    URI.create(stack.kinesis().endpoint()).getPort(),
                    URI.create(stack.dynamodb().endpoint()).getPort(),
                    port(stack.kafka().endpoint()));
            Optional<InetAddress> external = nonLoopbackAddress();
            for (int port : ports) {
                assertThat(accepts(InetAddress.getLoopbackAddress(), port)).as("port %d on loopback", port).isTrue();
                if (external.isPresent()) {
                    assertThat(accepts(external.get(), port)).as("port %d on %s", port, external.get()).isFalse();
                }
            }
        }
        for (long pid : List.of(kinesisPid, dynamodbPid, kafkaPid)) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("pid %d alive", pid).isFalse();
        }
        assertThat(dir.resolve("logs").resolve("dynamodb.log")).exists();
    }

    private static int port(String hostAndPort) {
        return Integer.parseInt(hostAndPort.substring(hostAndPort.lastIndexOf(':') + 1));
    }

    private static boolean accepts(InetAddress address, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static Optional<InetAddress> nonLoopbackAddress() throws IOException {
        return NetworkInterface.networkInterfaces()
                .flatMap(NetworkInterface::inetAddresses)
                .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
                .findFirst();
    }
}
