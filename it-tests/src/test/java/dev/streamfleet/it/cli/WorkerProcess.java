package dev.streamfleet.it.cli;

import dev.streamfleet.it.Installation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A {@code streamfleet} command run the way users run it: {@code bin/streamfleet} of the
 * production archive that this build produced ({@link Installation}). Its output goes to a
 * file; it is stopped by its own pid (the launcher execs the JVM, so the pid is the JVM's).
 */
public final class WorkerProcess implements AutoCloseable {

    private final Process process;
    private final Path log;

    private WorkerProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Small, quick-starting JVMs for tests: serial GC, C1 only, 256 MB heap. */
    public static WorkerProcess start(Path log, Map<String, String> env, String... args) throws IOException {
        return start(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"), log, env, args);
    }

    /** With the given JVM options (handed over as {@code JAVA_OPTS}), for benchmarks that run the JVM as users do. */
    public static WorkerProcess start(List<String> jvmOptions, Path log, Map<String, String> env, String... args)
            throws IOException {
        return start(Installation.production(), jvmOptions, log, env, args);
    }

    /** A command of the given installation. */
    public static WorkerProcess start(Installation installation, List<String> jvmOptions, Path log,
                                      Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(installation.launcher().toString());
        command.addAll(List.of(args));
        Files.createDirectories(log.getParent());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        List<String> options = new ArrayList<>(jvmOptions);
        // Temporary files (an Error's stack trace) stay inside the build directory, like the test JVM's own.
        options.add("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
        builder.environment().put("JAVA_OPTS", String.join(" ", options));
        builder.environment().put("AWS_ACCESS_KEY_ID", "local");
        builder.environment().put("AWS_SECRET_ACCESS_KEY", "local");
        // Nothing in a test may look for an EC2 instance's metadata: the region comes from the configuration.
        builder.environment().put("AWS_EC2_METADATA_DISABLED", "true");
        builder.environment().putAll(env);
        return new WorkerProcess(builder.start(), log);
    }

    /** Any command (a JVM of another program, for comparison), with the same logging and AWS environment. */
    public static WorkerProcess command(List<String> command, Path log, Map<String, String> env) throws IOException {
        Files.createDirectories(log.getParent());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        builder.environment().put("AWS_ACCESS_KEY_ID", "local");
        builder.environment().put("AWS_SECRET_ACCESS_KEY", "local");
        builder.environment().put("AWS_EC2_METADATA_DISABLED", "true");
        builder.environment().putAll(env);
        return new WorkerProcess(builder.start(), log);
    }

    /** Waits, bounded, for the process to exit and returns its exit code. */
    public int waitFor(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the process did not exit within " + timeout + "; output:\n" + output());
        }
        return process.exitValue();
    }

    /** SIGTERM. */
    public void terminate() {
        process.destroy();
    }

    /** SIGKILL: the crash nobody can handle. */
    public void kill() {
        process.destroyForcibly();
    }

    /** Sends a signal by name ({@code STOP}, {@code CONT}) to this process by its own pid. */
    public void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    /** The lines that are not log lines (log lines start with a time of day). */
    public List<String> messages() {
        return output().lines().filter(line -> !line.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} .*")).toList();
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
