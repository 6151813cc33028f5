package dev.streamfleet.worker.internal.cli;

import dev.streamfleet.worker.internal.setup.Version;
import dev.streamfleet.checkpoint.CheckpointException;
import dev.streamfleet.coordinator.CoordinatorException;
import dev.streamfleet.worker.config.ConfigException;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.ServiceLoader;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code streamfleet} command line. Exit codes: 0 done, 1 a runtime failure (an
 * unreachable server, a missing stream, a broken installation), 2 a usage or configuration
 * error. Every error is one line on stderr, never a stack trace.
 */
@Command(name = "streamfleet", mixinStandardHelpOptions = true, versionProvider = StreamfleetCli.VersionProvider.class,
        description = "A self-coordinating fleet of workers for Kinesis streams and Kafka topics.",
        subcommands = {WorkerCommand.class, StatusCommand.class, CheckpointsCommand.class, ProduceCommand.class,
                HealthCommand.class, CompletionCommand.class})
public final class StreamfleetCli {

    public static final int RUNTIME_FAILURE = 1;
    public static final int USAGE = 2;

    /** Builds the command line, with the subcommands of every {@link CommandExtension} on the classpath. */
    public static CommandLine commandLine() {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "streamfleet-logback.xml");
        }
        CommandLine line = new CommandLine(new StreamfleetCli());
        for (CommandExtension extension : ServiceLoader.load(CommandExtension.class)) {
            extension.subcommands().forEach(line::addSubcommand);
        }
        for (String name : DevToolsMissing.COMMANDS) {
            if (!line.getSubcommands().containsKey(name)) {
                line.addSubcommand(name, new DevToolsMissing());
            }
        }
        line.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            err.println("streamfleet: " + oneLine(e));
            err.flush();
            return e instanceof ConfigException ? USAGE : RUNTIME_FAILURE;
        });
        line.setParameterExceptionHandler((e, args) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("streamfleet: " + e.getMessage() + " (see --help)");
            err.flush();
            return USAGE;
        });
        return line;
    }

    static String oneLine(Throwable e) {
        String message = e.getMessage();
        if (!(e instanceof ConfigException || e instanceof CoordinatorException || e instanceof CheckpointException)) {
            message = e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
        }
        return message == null ? e.getClass().getSimpleName() : message.replaceAll("\\s*\\R\\s*", " ");
    }

    public static void main(String[] args) {
        System.exit(run(args, System.err));
    }

    /**
     * Runs one command. An {@link Error} (a class missing from a broken installation, a processor
     * jar built against another version) becomes exit 1 and one line; its stack trace goes to a
     * file that the line names, never to the terminal.
     */
    static int run(String[] args, PrintStream err) {
        try {
            return commandLine().execute(args);
        } catch (Error e) {
            err.println("streamfleet: " + ErrorReport.write(e).summary());
            err.flush();
            return RUNTIME_FAILURE;
        }
    }

    /** Reports the version from the jar's manifest. */
    public static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"streamfleet " + Version.current()};
        }
    }
}
