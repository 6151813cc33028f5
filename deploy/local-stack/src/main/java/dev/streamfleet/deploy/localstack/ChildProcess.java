package dev.streamfleet.deploy.localstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A server process started by the local stack. Its output goes to a log file; its stdin stays
 * open as a lifeline, so that the child exits by itself when this JVM dies (see
 * {@code bind-loopback.js} and {@code ChildJvmMain}). It is stopped through its own handle and
 * its own descendants, never by name.
 */
final class ChildProcess {

    private static final Duration KILL_WAIT = Duration.ofSeconds(10);

    private final String name;
    private final Process process;
    private final Path log;

    private ChildProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    static ChildProcess start(String name, List<String> command, Path workDir, Map<String, String> env, Path log) {
        try {
            Files.createDirectories(log.getParent());
            ProcessBuilder builder = new ProcessBuilder(OwnSession.wrap(command))
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.PIPE);
            builder.environment().putAll(env);
            return new ChildProcess(name, builder.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + " (" + command.get(0) + "): " + e.getMessage(), e);
        }
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    Path log() {
        return log;
    }

    /** SIGTERM, a bounded wait, then SIGKILL. */
    void stop(Duration grace) {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        if (!waitFor(grace)) {
            kill();
        }
    }

    /** SIGKILL for the process and everything it started. */
    void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        if (!waitFor(KILL_WAIT)) {
            throw new IllegalStateException(name + " (pid " + pid() + ") survived SIGKILL for " + KILL_WAIT);
        }
    }

    private boolean waitFor(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The last lines of the log, for error messages. */
    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join(System.lineSeparator(), all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Fails with the log's tail when the process has already exited. */
    void requireAlive() {
        if (!process.isAlive()) {
            throw new StartupTimeoutException(name + " exited with code " + process.exitValue() + " while starting; log "
                    + log + ":" + System.lineSeparator() + logTail(20));
        }
    }
}
