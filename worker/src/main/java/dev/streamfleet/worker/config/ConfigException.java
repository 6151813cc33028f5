package dev.streamfleet.worker.config;

import dev.streamfleet.core.PublicApi;

/** The configuration is wrong; the message is one line that names the key and the problem. */
@PublicApi
public final class ConfigException extends RuntimeException {

    public ConfigException(String message) {
        super(message);
    }
}
