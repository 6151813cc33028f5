package dev.streamfleet.deploy.localstack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The npm packages of the emulators ({@code kinesis-local}, {@code dynalite}), pinned by the
 * {@code package.json} and {@code package-lock.json} in {@code deploy/local-stack/emulators} and
 * installed there with {@code npm ci} on first use.
 */
public final class EmulatorPackages {

    /** System property naming the emulators directory; otherwise it is searched upwards from the working directory. */
    public static final String DIR_PROPERTY = "streamfleet.emulators.dir";
    private static final String RELATIVE_DIR = "deploy/local-stack/emulators";
    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(5);
    private static final List<String> PACKAGES = List.of("kinesis-local", "dynalite", "kinesalite");

    private final Path dir;

    private EmulatorPackages(Path dir) {
        this.dir = dir;
    }

    /** Finds the emulators directory and installs its packages when they are missing. */
    public static synchronized EmulatorPackages installed() {
        EmulatorPackages packages = new EmulatorPackages(locate());
        packages.installIfMissing();
        return packages;
    }

    Path dir() {
        return dir;
    }

    Path preload() {
        return dir.resolve("bind-loopback.js");
    }

    Path packageDir(String name) {
        return dir.resolve("node_modules").resolve(name);
    }

    static String nodeExecutable() {
        return executable("node");
    }

    private static Path locate() {
        String configured = System.getProperty(DIR_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            Path dir = Path.of(configured).toAbsolutePath().normalize();
            if (!Files.isRegularFile(dir.resolve("package.json"))) {
                throw new IllegalStateException(DIR_PROPERTY + "=" + dir + " holds no package.json");
            }
            return dir;
        }
        for (Path at = Path.of("").toAbsolutePath(); at != null; at = at.getParent()) {
            Path candidate = at.resolve(RELATIVE_DIR);
            if (Files.isRegularFile(candidate.resolve("package.json"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("cannot find " + RELATIVE_DIR + "/package.json above " + Path.of("").toAbsolutePath()
                + "; run from the streamfleet checkout or set -D" + DIR_PROPERTY + "=<dir>");
    }

    private void installIfMissing() {
        if (PACKAGES.stream().allMatch(name -> Files.isDirectory(packageDir(name)))) {
            return;
        }
        String npm = executable("npm");
        Path log = dir.resolve("npm-ci.log");
        ChildProcess install = ChildProcess.start("npm ci", List.of(npm, "ci", "--no-audit", "--no-fund"), dir, Map.of(), log);
        long deadline = System.nanoTime() + INSTALL_TIMEOUT.toNanos();
        while (install.isAlive() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                install.kill();
                throw new IllegalStateException("interrupted during npm ci in " + dir);
            }
        }
        if (install.isAlive()) {
            install.kill();
            throw new IllegalStateException("npm ci in " + dir + " took longer than " + INSTALL_TIMEOUT.toMinutes()
                    + " min; see " + log);
        }
        if (!PACKAGES.stream().allMatch(name -> Files.isDirectory(packageDir(name)))) {
            throw new IllegalStateException("npm ci in " + dir + " did not install the emulators; its output:"
                    + System.lineSeparator() + install.logTail(20));
        }
    }

    private static String executable(String name) {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String entry : path.split(java.io.File.pathSeparator)) {
                Path candidate = Path.of(entry, name);
                if (Files.isExecutable(candidate)) {
                    return candidate.toString();
                }
            }
        }
        throw new IllegalStateException("'" + name + "' is not on the PATH; the local stack runs the Kinesis and"
                + " DynamoDB emulators with Node.js 18 or newer and npm (https://nodejs.org)");
    }

}
