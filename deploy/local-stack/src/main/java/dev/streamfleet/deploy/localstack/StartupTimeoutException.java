package dev.streamfleet.deploy.localstack;

/** A server of the local stack did not become ready in time, or died while starting. */
public final class StartupTimeoutException extends RuntimeException {

    public StartupTimeoutException(String message) {
        super(message);
    }
}
