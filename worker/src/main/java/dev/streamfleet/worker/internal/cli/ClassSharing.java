package dev.streamfleet.worker.internal.cli;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * What {@code bin/streamfleet} arranged for class-data sharing, and whether the JVM went along.
 *
 * <p>The launcher names an archive for the Java it runs ({@code streamfleet.cds.archive}). When the archive
 * exists it hands it to the JVM ({@code streamfleet.cds.mode=use}); when it does not, a worker records the
 * classes it loads ({@code mode=train}, {@code streamfleet.cds.classlist}) and builds the archive from them
 * once it is running. Pure: reads only the properties it is given.
 *
 * @param state     what this JVM does about the archive
 * @param archive   the archive the launcher named, if any
 * @param classList the list of loaded classes the JVM writes, when training
 */
record ClassSharing(State state, Optional<Path> archive, Optional<Path> classList) {

    static final String ARCHIVE = "streamfleet.cds.archive";
    static final String MODE = "streamfleet.cds.mode";
    static final String CLASS_LIST = "streamfleet.cds.classlist";

    enum State {
        /** Not started by the launcher, or {@code STREAMFLEET_CDS=off}. */
        OFF,
        /** The JVM mapped the archive: classes come from it. */
        IN_USE,
        /** The launcher gave the archive but the JVM refused it (another Java build, changed jars). */
        NOT_MAPPED,
        /** No archive yet: this JVM records its classes so that the archive can be built. */
        TRAINING,
        /** No archive, and the launcher cannot write where it belongs. */
        UNWRITABLE
    }

    /** From the JVM's system properties ({@code java.vm.info} says "sharing" when an archive is mapped). */
    static ClassSharing of(Map<String, String> properties) {
        String archive = properties.get(ARCHIVE);
        if (archive == null || archive.isBlank()) {
            return new ClassSharing(State.OFF, Optional.empty(), Optional.empty());
        }
        Path path = Path.of(archive);
        String mode = properties.getOrDefault(MODE, "");
        String classList = properties.get(CLASS_LIST);
        if (mode.equals("train") && classList != null && !classList.isBlank()) {
            return new ClassSharing(State.TRAINING, Optional.of(path), Optional.of(Path.of(classList)));
        }
        if (mode.equals("unwritable")) {
            return new ClassSharing(State.UNWRITABLE, Optional.of(path), Optional.empty());
        }
        if (mode.equals("use")) {
            boolean mapped = properties.getOrDefault("java.vm.info", "").contains("sharing");
            return new ClassSharing(mapped ? State.IN_USE : State.NOT_MAPPED, Optional.of(path), Optional.empty());
        }
        return new ClassSharing(State.OFF, Optional.of(path), Optional.empty());
    }

    /**
     * The classpath to build the archive with: the longest leading run of jar files in {@code classPath}. A
     * JVM accepts an archive whose classpath is a prefix of its own, and the archive cannot hold a directory
     * that has files in it ({@code STREAMFLEET_CLASSPATH} may add one after the installation's jars).
     */
    static String dumpClasspath(String classPath, Predicate<Path> isJarFile) {
        List<String> jars = new ArrayList<>();
        for (String entry : classPath.split(File.pathSeparator)) {
            if (entry.isEmpty() || !entry.endsWith(".jar") || !isJarFile.test(Path.of(entry))) {
                break;
            }
            jars.add(entry);
        }
        return String.join(File.pathSeparator, jars);
    }
}
