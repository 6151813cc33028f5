package dev.streamfleet.cli;

import dev.streamfleet.worker.cli.StreamfleetCli;

import picocli.CommandLine;

/** The distribution's entry point: the worker's commands plus those that need the local stack. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return StreamfleetCli.commandLine()
                .addSubcommand("local-stack", new LocalStackCommand())
                .addSubcommand("demo", new DemoCommand());
    }
}
