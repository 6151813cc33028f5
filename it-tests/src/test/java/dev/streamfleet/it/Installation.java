package dev.streamfleet.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The archives that this same build produced in {@code deploy/distribution/target}, each
 * unpacked once per test JVM into a fresh directory, as a user installs them. Every worker
 * process, demo and command that a test starts runs the unpacked {@code bin/streamfleet}; the
 * test classpath is never a worker's classpath.
 */
public final class Installation {

    private static final Path TARGET = Path.of(required("streamfleet.dist.target"));
    private static final String VERSION = required("streamfleet.version");
    /** The test classes: it-tests/target/test-classes, wherever the JVM was started (Maven, benchmarks.sh). */
    private static final Path CLASSES = classesDirectory();
    private static final Path ROOT = CLASSES.getParent().resolve("installations");
    private static Installation production;
    private static Installation withDevTools;
    private static Path testExtensions;

    private final Path archive;
    private final Path home;

    private Installation(Path archive, Path home) {
        this.archive = archive;
        this.home = home;
    }

    /** The production archive, {@code streamfleet-VERSION.tar.gz}: what runs a fleet. */
    public static synchronized Installation production() {
        if (production == null) {
            production = unpack(TARGET.resolve("streamfleet-" + VERSION + ".tar.gz"));
        }
        return production;
    }

    /** The archive with the development tools, {@code streamfleet-VERSION-devtools.tar.gz}: local-stack and demo too. */
    public static synchronized Installation withDevTools() {
        if (withDevTools == null) {
            withDevTools = unpack(TARGET.resolve("streamfleet-" + VERSION + "-devtools.tar.gz"));
        }
        return withDevTools;
    }

    public static String version() {
        return VERSION;
    }

    public Path archive() {
        return archive;
    }

    /** The installation's directory, {@code streamfleet-VERSION/}. */
    public Path home() {
        return home;
    }

    /** {@code bin/streamfleet}. */
    public Path launcher() {
        return home.resolve("bin").resolve("streamfleet");
    }

    /**
     * A directory for {@code STREAMFLEET_CLASSPATH} with only what tests add to a worker, the way
     * a user adds a processor jar: the recorder of AWS calls (with its SDK registration), the
     * benchmarks' processor that does nothing, a processor that throws an Error, one that never returns,
     * one that fails on a poison record, one that checkpoints positions itself and one that never
     * returns for one key.
     */
    public static synchronized Path testExtensions() {
        if (testExtensions == null) {
            Path classes = CLASSES;
            try {
                Path dir = Files.createTempDirectory(Files.createDirectories(ROOT), "test-extensions");
                List<String> files = List.of("dev/streamfleet/it/AwsCallRecorder.class",
                        "dev/streamfleet/it/AwsCallRecorder$Call.class", "dev/streamfleet/bench/NoOpProcessor.class",
                        "dev/streamfleet/it/cli/LinkageFailingProcessor.class", "dev/streamfleet/it/cli/BlockedProcessor.class",
                        "dev/streamfleet/it/cli/PoisonProcessor.class",
                        "dev/streamfleet/it/cli/PositionCheckpointingProcessor.class",
                        "dev/streamfleet/it/cli/StuckKeyProcessor.class",
                        "dev/streamfleet/it/faults/SlowJsonlProcessors.class",
                        "dev/streamfleet/it/faults/SlowJsonlProcessors$Slow.class",
                        "dev/streamfleet/it/faults/CallbackLog.class",
                        "software/amazon/awssdk/global/handlers/execution.interceptors");
                for (String file : files) {
                    Path target = dir.resolve(file);
                    Files.createDirectories(target.getParent());
                    Files.copy(classes.resolve(file), target, StandardCopyOption.REPLACE_EXISTING);
                }
                testExtensions = dir;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot lay out the test extensions", e);
            }
        }
        return testExtensions;
    }

    private static Installation unpack(Path archive) {
        if (!Files.isRegularFile(archive)) {
            throw new IllegalStateException(archive + " does not exist; the distribution module builds it in 'package'");
        }
        try {
            Path dir = Files.createTempDirectory(Files.createDirectories(ROOT), "install");
            Path output = dir.resolve("tar-output.txt");
            Process tar = new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", dir.toString())
                    .redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (!tar.waitFor(120, TimeUnit.SECONDS)) {
                tar.destroyForcibly();
                throw new IllegalStateException("unpacking " + archive + " took longer than 120 s");
            }
            if (tar.exitValue() != 0) {
                throw new IllegalStateException("tar -xzf " + archive + " failed: " + Files.readString(output));
            }
            return new Installation(archive, dir.resolve("streamfleet-" + VERSION));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack " + archive, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while unpacking " + archive, e);
        }
    }

    private static Path classesDirectory() {
        try {
            return Path.of(Installation.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException("cannot locate the test classes", e);
        }
    }

    private static String required(String property) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + property + " is not set; run the tests through Maven");
        }
        return value;
    }
}
