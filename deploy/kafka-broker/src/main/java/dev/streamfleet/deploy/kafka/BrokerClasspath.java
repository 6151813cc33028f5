package dev.streamfleet.deploy.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The classpath of a Kafka broker child JVM: this module's own jar for {@link ChildJvmMain} plus
 * the broker's jars, taken from an installation with the development tools
 * ({@code <streamfleet.home>/devtools/lib/kafka-broker}) when there is one, otherwise as resolved by
 * Maven when this module was built.
 */
public final class BrokerClasspath {

    private static final String RESOURCE = "broker.classpath";

    private BrokerClasspath() {
    }

    /** Every entry of the broker's classpath; fails with a clear message when a jar has gone missing. */
    public static List<Path> entries() {
        List<Path> entries = new ArrayList<>();
        entries.add(ownLocation());
        String home = System.getProperty("streamfleet.home");
        if (home != null && Files.isDirectory(Path.of(home, "devtools", "lib", "kafka-broker"))) {
            entries.addAll(installedJars(Path.of(home, "lib"), Path.of(home, "devtools", "lib")));
            return List.copyOf(entries);
        }
        for (String entry : resolvedJars().split(java.io.File.pathSeparator)) {
            if (entry.isBlank()) {
                continue;
            }
            Path jar = Path.of(entry.trim());
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException("the Kafka broker jar " + jar
                        + " is missing; rebuild with 'mvn -B install -DskipTests' to resolve it again");
            }
            entries.add(jar);
        }
        return List.copyOf(entries);
    }

    /**
     * An installation keeps the broker's own jars in {@code devtools/lib/kafka-broker/} and shares
     * the rest with {@code lib/} and {@code devtools/lib/}; {@code broker.classpath} there names them all.
     */
    private static List<Path> installedJars(Path lib, Path devtoolsLib) {
        Path brokerLib = devtoolsLib.resolve("kafka-broker");
        Path list = brokerLib.resolve(RESOURCE);
        String names;
        try {
            names = Files.readString(list, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + list + "; the installation is incomplete", e);
        }
        List<Path> jars = new ArrayList<>();
        for (String entry : names.split(java.io.File.pathSeparator)) {
            if (entry.isBlank()) {
                continue;
            }
            String name = Path.of(entry.trim()).getFileName().toString();
            Path jar = java.util.stream.Stream.of(brokerLib, lib, devtoolsLib).map(dir -> dir.resolve(name))
                    .filter(Files::isRegularFile).findFirst()
                    .orElseThrow(() -> new IllegalStateException("the Kafka broker jar " + name + " is in none of "
                            + brokerLib + ", " + lib + " and " + devtoolsLib + "; the installation is incomplete"));
            jars.add(jar);
        }
        return jars;
    }

    private static String resolvedJars() {
        try (InputStream in = BrokerClasspath.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + RESOURCE + " is missing from the kafka-broker module;"
                        + " it is written by the Maven build (dependency:build-classpath)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path ownLocation() {
        try {
            return Path.of(ChildJvmMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the kafka-broker module's classes", e);
        }
    }
}
