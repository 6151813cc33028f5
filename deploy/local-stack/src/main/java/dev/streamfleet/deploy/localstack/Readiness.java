package dev.streamfleet.deploy.localstack;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Bounded waits for a server to answer. */
final class Readiness {

    private static final long POLL_MILLIS = 50;

    private Readiness() {
    }

    /** Waits until {@code ready} holds; {@code alive} is checked on every round so a crashed start fails fast. */
    static void await(String what, Duration timeout, Runnable alive, BooleanSupplier ready) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            alive.run();
            if (ready.getAsBoolean()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new StartupTimeoutException(what + " was not ready within " + timeout.toSeconds() + " s");
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StartupTimeoutException("interrupted while waiting for " + what);
            }
        }
    }
}
