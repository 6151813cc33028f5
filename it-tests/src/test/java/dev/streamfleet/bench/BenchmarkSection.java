package dev.streamfleet.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One benchmark's section of BENCHMARKS.md: a title naming the command, how it measures, a
 * table of figures and notes. Printed when done, and written to the file named by
 * {@code streamfleet.bench.out} so that {@code benchmarks.sh all} can assemble the document.
 */
final class BenchmarkSection {

    private final String title;
    private final String method;
    private final List<String> columns;
    private final List<List<String>> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    BenchmarkSection(String title, String method, String... columns) {
        this.title = title;
        this.method = method.strip();
        this.columns = List.of(columns);
    }

    void row(String... cells) {
        if (cells.length != columns.size()) {
            throw new IllegalArgumentException("expected " + columns.size() + " cells, got " + cells.length);
        }
        rows.add(List.of(cells));
        System.out.println(String.join(" | ", cells));
    }

    void note(String paragraph) {
        notes.add(paragraph.strip());
    }

    String markdown() {
        StringBuilder text = new StringBuilder("## ").append(title).append("\n\n").append(method).append("\n\n");
        text.append("| ").append(String.join(" | ", columns)).append(" |\n|");
        columns.forEach(c -> text.append("---|"));
        text.append('\n');
        rows.forEach(row -> text.append("| ").append(String.join(" | ", row)).append(" |\n"));
        notes.forEach(note -> text.append('\n').append(note).append('\n'));
        return text.toString();
    }

    void publish() {
        String text = markdown();
        System.out.println();
        System.out.println(text);
        String target = System.getProperty("streamfleet.bench.out");
        if (target != null) {
            try {
                Files.createDirectories(Path.of(target).toAbsolutePath().getParent());
                Files.writeString(Path.of(target), text);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
