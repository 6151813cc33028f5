package dev.streamfleet.worker.internal.cli;

import dev.streamfleet.worker.internal.setup.AwsRegion;
import dev.streamfleet.worker.config.FleetConfig;
import dev.streamfleet.worker.config.FleetConfigLoader;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import picocli.CommandLine.Option;

/** The options every command that works on a fleet shares: its configuration file and overrides. */
final class ConfigOptions {

    @Option(names = "--config", required = true, description = "The fleet's YAML configuration file.")
    Path config;

    @Option(names = "--set", description = "Overrides a configuration key, such as --set zookeeper.connect=host:2181"
            + " or --set sources[0].kinesis.endpoint=http://127.0.0.1:4567.")
    Map<String, String> overrides = new HashMap<>();

    /** The configuration, with the environment's and the flags' overrides applied. */
    FleetConfig load() {
        return load(config, overrides);
    }

    /** A configuration file as the worker reads it: the environment's and {@code overrides}' values, the SDK's region chain. */
    static FleetConfig load(Path config, Map<String, String> overrides) {
        for (String warning : FleetConfigLoader.unknownVariables(System.getenv())) {
            System.err.println("streamfleet: warning: " + warning);
        }
        return FleetConfigLoader.load(config, System.getenv(), overrides, AwsRegion::fromDefaultChain);
    }
}
