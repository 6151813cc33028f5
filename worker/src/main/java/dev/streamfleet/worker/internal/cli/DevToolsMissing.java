package dev.streamfleet.worker.internal.cli;

import dev.streamfleet.worker.internal.setup.Version;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Stands in for a development command ({@code local-stack}, {@code demo}) in an installation
 * without the development tools, so that its name gets a clear answer instead of "unknown command".
 */
@Command(hidden = true)
final class DevToolsMissing implements Callable<Integer> {

    /** The commands only the archive with the development tools has. */
    static final List<String> COMMANDS = List.of("local-stack", "demo");

    @Spec
    CommandSpec spec;

    @Unmatched
    List<String> ignored;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("streamfleet: '" + spec.name() + "' is one of the development tools, which"
                + " this installation does not have; install streamfleet-" + Version.current()
                + "-devtools.tar.gz, or run deploy/streamfleet from a checkout");
        spec.commandLine().getErr().flush();
        return StreamfleetCli.USAGE;
    }
}
