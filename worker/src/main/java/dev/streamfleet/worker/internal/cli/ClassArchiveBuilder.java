package dev.streamfleet.worker.internal.cli;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acts on what the launcher arranged for class-data sharing ({@link ClassSharing}): says in the log whether
 * this worker started from the archive; removes an archive the JVM refused, so that the next start builds it
 * again; and when there is no archive yet, builds it from the classes this worker loaded, a while after it
 * joined (so that the classes of reading and checkpointing are in it and the start itself is not slowed).
 *
 * <p>The build is a child JVM ({@code -Xshare:dump}) writing a file of its own that is then renamed into
 * place, so workers building at once, or starting meanwhile, never see half an archive. Its one thread owns
 * the child; {@link #close()} stops it.
 */
final class ClassArchiveBuilder implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClassArchiveBuilder.class);
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(5);

    private final ClassSharing sharing;
    private final ScheduledExecutorService thread;

    private ClassArchiveBuilder(ClassSharing sharing) {
        this.sharing = sharing;
        this.thread = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread t = new Thread(runnable, "class-archive");
            t.setDaemon(true);
            return t;
        });
    }

    /** Reports the state of sharing and, when training, builds the archive {@code after} from now. */
    static ClassArchiveBuilder start(ClassSharing sharing, Duration after) {
        ClassArchiveBuilder builder = new ClassArchiveBuilder(sharing);
        Path archive = sharing.archive().orElse(null);
        switch (sharing.state()) {
            case OFF -> LOG.debug("class-data sharing: not arranged by the launcher");
            case IN_USE -> LOG.info("class-data sharing: classes come from {}", archive);
            case NOT_MAPPED -> {
                LOG.warn("class-data sharing: the JVM could not use {} (made by another build of Java, or the"
                        + " installation's jars changed since); removed it, so that the next worker start builds it again",
                        archive);
                deleteQuietly(archive);
            }
            case UNWRITABLE -> LOG.warn("class-data sharing: no archive at {}, and its directory cannot be written, so"
                    + " every start stays without one; set STREAMFLEET_CDS_DIR to a writable directory, or"
                    + " STREAMFLEET_CDS=off", archive);
            case TRAINING -> {
                LOG.info("class-data sharing: no archive for this Java yet; building {} from the classes this worker"
                        + " loads, {} s after it joined; later starts use it", archive, after.toSeconds());
                builder.thread.schedule(builder::buildReportingFailures, after.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
        return builder;
    }

    /** Builds; whatever {@link #build} does not expect is logged, not kept in a future nobody reads. */
    private void buildReportingFailures() {
        try {
            build();
        } catch (Throwable e) {
            LOG.error("class-data sharing: building the archive failed unexpectedly; starts stay without it: {}", e.toString(), e);
        }
    }

    private void build() {
        Path archive = sharing.archive().orElseThrow();
        Path classList = sharing.classList().orElseThrow();
        long pid = ProcessHandle.current().pid();
        Path classes = sibling(archive, pid + ".classes");
        Path partial = sibling(archive, pid + ".tmp");
        Path log = sibling(archive, "log");
        Process child = null;
        try (FileChannel lockFile = FileChannel.open(sibling(archive, "lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock lock = lockFile.tryLock()) {
            if (lock == null || Files.exists(archive)) {
                // Workers that started together: one builds, the others' classes are the same.
                LOG.info("class-data sharing: another worker builds {}; later starts use it", archive);
                return;
            }
            removeLeftovers(archive);
            String classPath = ClassSharing.dumpClasspath(System.getProperty("java.class.path", ""), Files::isRegularFile);
            if (classPath.isEmpty()) {
                LOG.warn("class-data sharing: not building {}: the classpath does not start with a jar", archive);
                return;
            }
            Files.write(classes, wholeLines(Files.readAllBytes(classList)));
            long started = System.nanoTime();
            List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xshare:dump", "-XX:SharedClassListFile=" + classes, "-XX:SharedArchiveFile=" + partial,
                    "-cp", classPath);
            child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!child.waitFor(BUILD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                child.destroyForcibly();
                LOG.warn("class-data sharing: building {} took longer than {} min and was stopped (output in {});"
                        + " starts stay without it", archive, BUILD_TIMEOUT.toMinutes(), log);
                return;
            }
            int exit = child.exitValue();
            if (exit != 0 || !Files.isRegularFile(partial) || Files.size(partial) == 0) {
                LOG.warn("class-data sharing: building {} failed (exit {}; output in {}); starts stay without it",
                        archive, exit, log);
                return;
            }
            Files.move(partial, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Files.deleteIfExists(log);
            LOG.info("class-data sharing: built {} ({} MiB) in {} s; the next worker start uses it", archive,
                    Files.size(archive) >> 20, String.format(java.util.Locale.ROOT, "%.1f",
                            (System.nanoTime() - started) / 1e9));
        } catch (InterruptedException e) {
            // The worker is stopping: so is the build; the next start trains again.
            Optional.ofNullable(child).ifPresent(Process::destroyForcibly);
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            LOG.warn("class-data sharing: building {} failed: {}; starts stay without it", archive, e.toString());
        } finally {
            deleteQuietly(classes);
            deleteQuietly(partial);
            deleteQuietly(classList);
        }
    }

    /** The JVM may be writing the class list while it is copied: only whole lines count. */
    static byte[] wholeLines(byte[] text) {
        int end = text.length;
        while (end > 0 && text[end - 1] != '\n') {
            end--;
        }
        return Arrays.copyOf(text, end);
    }

    /** Class lists and partial archives of workers that died before they finished with them. */
    private static void removeLeftovers(Path archive) throws IOException {
        Path dir = archive.toAbsolutePath().getParent();
        Pattern own = Pattern.compile(Pattern.quote(archive.getFileName().toString()) + "\\.(\\d+)\\.(classlist|classes|tmp)");
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.toList()) {
                Matcher m = own.matcher(file.getFileName().toString());
                if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).map(p -> !p.isAlive()).orElse(true)) {
                    deleteQuietly(file);
                }
            }
        }
    }

    private static Path sibling(Path archive, String suffix) {
        return archive.resolveSibling(archive.getFileName() + "." + suffix);
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.debug("could not remove {}: {}", file, e.toString());
        }
    }

    /** Stops a build in progress; the partial archive is removed and the next start trains again. */
    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
