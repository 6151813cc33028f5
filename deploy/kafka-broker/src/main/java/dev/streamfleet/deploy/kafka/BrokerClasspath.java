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
 * The classpath of a Kafka broker child JVM: the broker's jars as resolved by Maven when this
 * module was built, plus this module's own jar for {@link ChildJvmMain}.
 */
public final class BrokerClasspath {

    private static final String RESOURCE = "broker.classpath";

    private BrokerClasspath() {
    }

    /** Every entry of the broker's classpath; fails with a clear message when a jar has gone missing. */
    public static List<Path> entries() {
        List<Path> entries = new ArrayList<>();
        entries.add(ownLocation());
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
