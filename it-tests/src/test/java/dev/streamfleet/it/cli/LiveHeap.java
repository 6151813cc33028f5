package dev.streamfleet.it.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a JVM process keeps alive, seen from outside: {@code jcmd <pid> GC.class_histogram}, which
 * collects the whole heap first, so garbage does not count. The total and the instances per class.
 *
 * @param bytes     bytes of the live objects
 * @param instances live objects per class name
 */
record LiveHeap(long bytes, Map<String, Long> instances) {

    private static final Path JCMD = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    private static final Pattern ROW = Pattern.compile("\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+).*");
    private static final Pattern TOTAL = Pattern.compile("Total\\s+(\\d+)\\s+(\\d+)\\s*");

    /** Collects the heap of the JVM with this pid and counts what is left; the histogram is kept in {@code file}. */
    static LiveHeap of(long pid, Path file) throws IOException, InterruptedException {
        Process jcmd = new ProcessBuilder(JCMD.toString(), Long.toString(pid), "GC.class_histogram")
                .redirectErrorStream(true).redirectOutput(file.toFile()).start();
        if (!jcmd.waitFor(60, TimeUnit.SECONDS)) {
            jcmd.destroyForcibly();
            throw new IllegalStateException("jcmd " + pid + " GC.class_histogram took longer than 60 s");
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        if (jcmd.exitValue() != 0) {
            throw new IllegalStateException("jcmd " + pid + " GC.class_histogram failed: " + text);
        }
        Map<String, Long> instances = new HashMap<>();
        Long total = null;
        for (String line : text.lines().toList()) {
            Matcher row = ROW.matcher(line);
            Matcher sum = TOTAL.matcher(line);
            if (row.matches()) {
                instances.merge(row.group(3), Long.parseLong(row.group(1)), Long::sum);
            } else if (sum.matches()) {
                total = Long.parseLong(sum.group(2));
            }
        }
        if (total == null) {
            throw new IllegalStateException("no total in the class histogram of " + pid + ": " + text);
        }
        return new LiveHeap(total, Map.copyOf(instances));
    }

    long instancesOf(Class<?> type) {
        return instancesOf(type.getName());
    }

    long instancesOf(String className) {
        return instances.getOrDefault(className, 0L);
    }

    static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1024.0 / 1024.0);
    }
}
