package dev.streamfleet.simulation;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What happened in a run, in order: faults, lease and assignment changes, processor callbacks,
 * checkpoints. Only the newest lines are kept; a violation prints those that concern it.
 */
final class Trace {

    private static final int KEPT = 20_000;
    private final Instant start = Instant.parse("2026-01-01T00:00:00Z");
    private final Deque<String> lines = new ArrayDeque<>();
    private long count;

    void add(Instant at, String who, String what) {
        long millis = Duration.between(start, at).toMillis();
        StringBuilder line = new StringBuilder(64);
        String seconds = millis / 1000 + "." + (millis % 1000 + 1000 + "").substring(1);
        line.append(" ".repeat(Math.max(0, 7 - seconds.length()))).append(seconds).append(" s  ").append(who)
                .append(" ".repeat(Math.max(1, 11 - who.length()))).append(what);
        lines.addLast(line.toString());
        count++;
        if (lines.size() > KEPT) {
            lines.removeFirst();
        }
    }

    long count() {
        return count;
    }

    /** Every line kept, oldest first. */
    String all() {
        return String.join("\n", lines);
    }

    /** A digest of every line kept, to show that a seed replays the same run. */
    int digest() {
        return java.util.Arrays.hashCode(lines.toArray()) * 31 + Long.hashCode(count);
    }

    /**
     * The lines that mention any of {@code subjects} (a unit, a worker) or a fault, newest
     * {@code limit} of them: the part of the run that led to a violation.
     */
    String relevant(List<String> subjects, int limit) {
        List<String> picked = lines.stream()
                .filter(line -> line.contains("FAULT") || subjects.stream().anyMatch(line::contains))
                .collect(Collectors.toList());
        List<String> tail = picked.subList(Math.max(0, picked.size() - limit), picked.size());
        return String.join("\n", tail);
    }
}
