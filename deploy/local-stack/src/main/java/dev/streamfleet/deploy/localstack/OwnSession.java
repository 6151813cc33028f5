package dev.streamfleet.deploy.localstack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts child processes in a session of their own (where {@code setsid} exists), so that a
 * Ctrl-C in the terminal reaches only the launching JVM, which then stops its children in
 * order instead of all of them dying at once. setsid execs the command in place, so the pid
 * stays the child's own and it can still be stopped by it.
 */
public final class OwnSession {

    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private OwnSession() {
    }

    /** {@code command} prefixed with setsid, or unchanged where there is none. */
    public static List<String> wrap(List<String> command) {
        if (!Files.isExecutable(SETSID)) {
            return command;
        }
        List<String> wrapped = new ArrayList<>();
        wrapped.add(SETSID.toString());
        wrapped.addAll(command);
        return wrapped;
    }
}
