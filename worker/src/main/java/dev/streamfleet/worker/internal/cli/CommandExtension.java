package dev.streamfleet.worker.internal.cli;

import java.util.Map;

/**
 * Subcommands that an installation adds to {@code bin/streamfleet} when their jars are on its
 * classpath, found through {@link java.util.ServiceLoader}: the development tools
 * ({@code local-stack}, {@code demo}) in the archive that carries them.
 */
public interface CommandExtension {

    /** The subcommands by name, each a picocli command object. */
    Map<String, Object> subcommands();
}
