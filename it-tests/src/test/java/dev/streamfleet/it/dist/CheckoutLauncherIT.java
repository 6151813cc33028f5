package dev.streamfleet.it.dist;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code deploy/streamfleet}, the README's way to run a checkout: it must rebuild when the
 * sources are newer than its last build (after a {@code git pull}) and not otherwise. Maven is
 * replaced by a stand-in on the PATH that records that it was asked, so no build runs here.
 */
class CheckoutLauncherIT {

    private static final Path CHECKOUT = Path.of("..").toAbsolutePath().normalize();
    private static final Path STAMP = CHECKOUT.resolve("deploy/distribution/target/streamfleet.built");
    private Path bin;
    private Path asked;
    private FileTime previous;

    @BeforeEach
    void fakeMaven() throws Exception {
        Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target", "checkout-launcher-it").toAbsolutePath()), "run");
        bin = Files.createDirectories(dir.resolve("bin"));
        asked = dir.resolve("mvn-asked");
        Path mvn = bin.resolve("mvn");
        Files.writeString(mvn, "#!/bin/sh\necho \"$@\" >> '" + asked + "'\n");
        Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwxr-xr-x"));
        previous = Files.exists(STAMP) ? Files.getLastModifiedTime(STAMP) : null;
    }

    @AfterEach
    void restoreStamp() throws Exception {
        if (previous == null) {
            Files.deleteIfExists(STAMP);
        } else {
            Files.setLastModifiedTime(STAMP, previous);
        }
    }

    @Test
    void aBuildOlderThanTheSourcesIsRebuiltBeforeItRuns() throws Exception {
        Files.writeString(STAMP, "");
        Files.setLastModifiedTime(STAMP, FileTime.from(Instant.parse("2001-01-01T00:00:00Z")));
        assertThat(run("--version")).contains("streamfleet ");
        assertThat(asked).exists();
        assertThat(Files.readString(asked)).contains("-pl deploy/distribution -am package");
    }

    @Test
    void aBuildNewerThanEverySourceRunsAsItIs() throws Exception {
        Files.writeString(STAMP, "");
        Files.setLastModifiedTime(STAMP, FileTime.from(Instant.now().plusSeconds(3600)));
        assertThat(run("--version")).contains("streamfleet ");
        assertThat(asked).doesNotExist();
    }

    private String run(String... args) throws Exception {
        Path output = bin.resolveSibling("output.txt");
        java.util.List<String> command = new java.util.ArrayList<>();
        command.add(CHECKOUT.resolve("deploy/streamfleet").toString());
        command.addAll(java.util.List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        Process process = builder.start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("deploy/streamfleet did not exit within 60 s: " + Files.readString(output));
        }
        String text = Files.readString(output);
        assertThat(process.exitValue()).as(text).isZero();
        return text;
    }
}
