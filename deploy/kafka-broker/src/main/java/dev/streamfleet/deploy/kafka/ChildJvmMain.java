package dev.streamfleet.deploy.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * Entry point of a child JVM started by the local stack: runs another main class and exits as
 * soon as the parent JVM is gone.
 *
 * <p>The parent keeps this process's stdin open for as long as it lives. End-of-file on stdin
 * therefore means the parent died, even by {@code kill -9} when none of its shutdown hooks
 * ran, and the child exits instead of lingering as an orphan that holds a port.
 *
 * <p>Usage: {@code ChildJvmMain <main class> [args...]}.
 */
public final class ChildJvmMain {

    /** How long a normal shutdown may take once the parent is gone before the JVM is halted. */
    private static final long HALT_AFTER_MILLIS = 15_000;

    private ChildJvmMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: ChildJvmMain <main class> [args...]");
            System.exit(2);
        }
        Thread watchdog = new Thread(ChildJvmMain::exitWhenParentIsGone, "parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();

        Method main = Class.forName(args[0]).getMethod("main", String[].class);
        main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    }

    private static void exitWhenParentIsGone() {
        try (InputStream in = System.in) {
            byte[] buffer = new byte[256];
            while (in.read(buffer) >= 0) {
                // The parent never writes; we only wait for end-of-file.
            }
        } catch (IOException e) {
            // A broken pipe means the same as end-of-file: the parent is gone.
        }
        Thread halter = new Thread(() -> {
            try {
                Thread.sleep(HALT_AFTER_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Runtime.getRuntime().halt(1);
        }, "parent-watchdog-halt");
        halter.setDaemon(true);
        halter.start();
        System.exit(0);
    }
}
