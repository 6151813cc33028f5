package dev.streamfleet.kclbench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The processed records as JSON lines, in the fields the benchmark reads from streamfleet's
 * {@code jsonl} processor: {@code data}, {@code unit}, {@code worker}, {@code processingTime}.
 * Shared by the worker's processors; each batch is written whole and flushed.
 */
abstract class RecordLines implements AutoCloseable {

    abstract void write(List<String> lines);

    @Override
    public abstract void close();

    static RecordLines none() {
        return new RecordLines() {
            @Override
            void write(List<String> lines) {
            }

            @Override
            public void close() {
            }
        };
    }

    static RecordLines to(Path file) throws IOException {
        BufferedWriter writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        return new RecordLines() {
            @Override
            synchronized void write(List<String> lines) {
                try {
                    for (String line : lines) {
                        writer.write(line);
                        writer.write('\n');
                    }
                    writer.flush();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public synchronized void close() {
                try {
                    writer.close();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    /** A string as a JSON string literal. */
    static String quote(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
