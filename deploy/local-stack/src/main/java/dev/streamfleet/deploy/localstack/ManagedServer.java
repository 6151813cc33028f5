package dev.streamfleet.deploy.localstack;

/**
 * One server of the local stack that fault tests can stop, kill and start again. A server keeps
 * its endpoint across restarts, so clients reconnect to the same address.
 */
public interface ManagedServer extends AutoCloseable {

    /** A short name for messages, such as {@code dynamodb}. */
    String name();

    /** Where clients connect, such as {@code http://127.0.0.1:41234} or {@code 127.0.0.1:2181}. */
    String endpoint();

    /** Whether the server is running (it may still be starting). */
    boolean isRunning();

    /** Starts the server on its endpoint and waits, bounded, until it answers. No-op when running. */
    void start();

    /** Stops the server gracefully (SIGTERM for processes), within a bounded time. */
    void stop();

    /** Stops the server abruptly: SIGKILL for processes, no clean shutdown for embedded servers. */
    void kill();

    /** Stops, then starts the server on the same endpoint. */
    default void restart() {
        stop();
        start();
    }

    /** Stops the server; never throws. */
    @Override
    void close();
}
