package dev.streamfleet.worker.internal.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What a command says about an {@link Error} that ended it: one line naming the error, the
 * missing class or the cause, a hint when the installation looks broken, and the file that
 * holds the full stack trace.
 */
record ErrorReport(Throwable error, Optional<Path> traceFile) {

    /** Writes the stack trace to a file in the temporary directory; a failure to write is reported, not thrown. */
    static ErrorReport write(Throwable error) {
        StringWriter trace = new StringWriter();
        error.printStackTrace(new PrintWriter(trace));
        try {
            Path file = Files.createTempFile("streamfleet-error-" + ProcessHandle.current().pid() + "-", ".txt");
            Files.writeString(file, trace.toString(), StandardCharsets.UTF_8);
            return new ErrorReport(error, Optional.of(file));
        } catch (IOException | RuntimeException e) {
            return new ErrorReport(error, Optional.empty());
        }
    }

    /** The one line for the terminal. */
    String summary() {
        String line = StreamfleetCli.oneLine(error);
        Throwable cause = error.getCause();
        if (cause != null && cause != error) {
            line += " (caused by " + StreamfleetCli.oneLine(cause) + ")";
        }
        // A class missing or not matching; a failing static initialiser is a LinkageError too, but not an installation's fault.
        if (error instanceof LinkageError && !(error instanceof ExceptionInInitializerError)) {
            line += "; the installation looks broken (a class is missing or does not match): reinstall streamfleet"
                    + " from one archive, and check any jar in ext/ or added through STREAMFLEET_CLASSPATH";
        }
        return line + traceFile.map(file -> "; stack trace in " + file).orElse("");
    }
}
