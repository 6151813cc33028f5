package dev.streamfleet.kclbench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** How many records the worker has processed, written to a file twice a second for the benchmark to read. */
final class Progress implements AutoCloseable {

    private final AtomicLong records = new AtomicLong();
    private final Path file;
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "kcl-progress");
        thread.setDaemon(true);
        return thread;
    });

    private Progress(Path file) {
        this.file = file;
    }

    static Progress writingTo(Path file) {
        Progress progress = new Progress(file);
        progress.writer.scheduleAtFixedRate(progress::write, 0, 500, TimeUnit.MILLISECONDS);
        return progress;
    }

    void processed(int count) {
        records.addAndGet(count);
    }

    private void write() {
        try {
            Path next = file.resolveSibling(file.getFileName() + ".next");
            Files.writeString(next, Long.toString(records.get()));
            Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            // Caught whatever it is: a periodic task that throws is never run again, and the benchmark would wait.
            System.err.println("progress: " + e);
        }
    }

    @Override
    public void close() {
        write();
        writer.shutdownNow();
    }
}
