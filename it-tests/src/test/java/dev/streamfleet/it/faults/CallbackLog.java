package dev.streamfleet.it.faults;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Inside a worker process: every callback a test processor hears, one line each, flushed at
 * once so that a kill -9 loses at most a torn last line: {@code <epoch micros> <instance>
 * <unit> <event>}, the event one of {@code initialize}, {@code process}, {@code processed} (it
 * returned or threw), {@code revoked}, {@code lost}, {@code shardEnded}, and {@code returned}
 * after one of the last three. The instance is the process id and a counter, unique in the
 * scenario. {@link ProcessorEndings} judges the file.
 */
final class CallbackLog {

    private static final AtomicLong INSTANCES = new AtomicLong();

    private final BufferedWriter out;

    CallbackLog(Path file) {
        try {
            this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the callback log " + file, e);
        }
    }

    /** A name for a new processor instance. */
    static String newInstance() {
        return ProcessHandle.current().pid() + "." + INSTANCES.incrementAndGet();
    }

    synchronized void add(String instance, String unit, String event) {
        java.time.Instant now = java.time.Instant.now();
        try {
            out.write((now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000) + " " + instance + " " + unit + " " + event + "\n");
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
