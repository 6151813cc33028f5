package dev.streamfleet.worker.config;

/** The configuration is wrong; the message is one line that names the key and the problem. */
public final class ConfigException extends RuntimeException {

    public ConfigException(String message) {
        super(message);
    }
}
