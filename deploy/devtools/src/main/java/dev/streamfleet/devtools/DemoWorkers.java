package dev.streamfleet.devtools;

import dev.streamfleet.deploy.localstack.OwnSession;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The demo's worker processes, each started with the installation's own {@code bin/streamfleet}
 * as a user would start it, its output in {@code worker-<n>.log}. It notices a worker that exits
 * while it should run, once, with the last error line of its log.
 */
final class DemoWorkers implements AutoCloseable {

    /** A worker that exited on its own: its number, exit code and last error line. */
    record Death(int number, long pid, int exitCode, String lastError) {
        @Override
        public String toString() {
            return "worker " + number + " (pid " + pid + ") exited unexpectedly with code " + exitCode + ": " + lastError;
        }
    }

    private record Worker(int number, Process process, Path log) {
    }

    private final List<Worker> workers = new ArrayList<>();
    private final List<Integer> reported = new ArrayList<>();
    private boolean stopping;

    /** The command that starts a worker of this installation; also printed for the user to start one more. */
    static List<String> launcher() {
        String home = System.getProperty("streamfleet.home");
        if (home == null) {
            throw new IllegalStateException("streamfleet.home is not set; run the demo through bin/streamfleet");
        }
        return List.of(Path.of(home, "bin", "streamfleet").toString());
    }

    void start(Path home, Path config, int number) throws IOException {
        List<String> command = new ArrayList<>(launcher());
        command.addAll(List.of("worker", "--config", config.toString()));
        Path log = home.resolve("worker-" + number + ".log");
        ProcessBuilder builder = new ProcessBuilder(OwnSession.wrap(command)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("AWS_ACCESS_KEY_ID", "local");
        builder.environment().put("AWS_SECRET_ACCESS_KEY", "local");
        builder.environment().put("AWS_REGION", "us-east-1");
        builder.environment().put("JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC");
        workers.add(new Worker(number, builder.start(), log));
    }

    int started() {
        return workers.size();
    }

    long alive() {
        return workers.stream().filter(worker -> worker.process().isAlive()).count();
    }

    /** Workers that exited since the last call while the demo was not stopping them. */
    List<Death> newDeaths() {
        List<Death> deaths = new ArrayList<>();
        if (stopping) {
            return deaths;
        }
        for (Worker worker : workers) {
            if (!worker.process().isAlive() && !reported.contains(worker.number())) {
                reported.add(worker.number());
                deaths.add(new Death(worker.number(), worker.process().pid(), worker.process().exitValue(),
                        lastError(worker.log()).orElse("(its log " + worker.log() + " says nothing)")));
            }
        }
        return deaths;
    }

    int deaths() {
        return reported.size();
    }

    /**
     * SIGTERM to every worker, so each hands its units over, then a bounded wait; a worker that
     * does not exit in time is killed. Returns the workers that did not exit with 0.
     */
    List<String> stop() throws InterruptedException {
        stopping = true;
        for (Worker worker : workers) {
            worker.process().destroy();
        }
        List<String> unclean = new ArrayList<>();
        for (Worker worker : workers) {
            if (!worker.process().waitFor(30, TimeUnit.SECONDS)) {
                worker.process().destroyForcibly();
                unclean.add("worker " + worker.number() + " did not stop within 30 s and was killed");
            } else if (worker.process().exitValue() != 0 && !reported.contains(worker.number())) {
                unclean.add("worker " + worker.number() + " exited with code " + worker.process().exitValue() + ": "
                        + lastError(worker.log()).orElse("(no error in its log)"));
            }
        }
        return unclean;
    }

    /** The last line of a log that reports an error, or else its last line, said to be that. */
    static Optional<String> lastError(Path log) {
        List<String> lines;
        try {
            lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
        } catch (IOException e) {
            return Optional.empty();
        }
        String last = null;
        for (int i = lines.size() - 1; i >= 0; i--) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("at ") || line.startsWith("...")) {
                continue;
            }
            if (last == null) {
                last = line;
            }
            if (line.startsWith("streamfleet: ") || line.contains(" ERROR ") || line.matches("(Exception|Caused by).*")) {
                return Optional.of(line);
            }
        }
        return Optional.ofNullable(last).map(line -> "no error logged (killed?); its last log line: " + line);
    }

    @Override
    public void close() {
        stopping = true;
        workers.forEach(worker -> worker.process().destroyForcibly());
    }
}
