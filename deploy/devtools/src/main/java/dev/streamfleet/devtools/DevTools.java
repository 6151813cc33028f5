package dev.streamfleet.devtools;

import dev.streamfleet.worker.internal.cli.CommandExtension;

import java.util.LinkedHashMap;
import java.util.Map;

/** Adds {@code local-stack} and {@code demo} to {@code bin/streamfleet} where the development tools are installed. */
public final class DevTools implements CommandExtension {

    @Override
    public Map<String, Object> subcommands() {
        Map<String, Object> commands = new LinkedHashMap<>();
        commands.put("local-stack", new LocalStackCommand());
        commands.put("demo", new DemoCommand());
        return commands;
    }
}
