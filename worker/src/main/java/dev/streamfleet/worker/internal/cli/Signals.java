package dev.streamfleet.worker.internal.cli;

import sun.misc.Signal;

/**
 * SIGTERM and SIGINT as a request to stop gracefully, for every long-running command. A shutdown hook would also run, but the
 * JVM would then exit with 143 instead of the 0 that a clean handover deserves.
 */
public final class Signals {

    private Signals() {
    }

    /** Runs {@code action} on SIGTERM or SIGINT, on the JVM's signal thread; the JVM keeps running. */
    public static void onTermination(Runnable action) {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), signal -> action.run());
            } catch (IllegalArgumentException e) {
                // The platform does not know this signal; the other one still works.
            }
        }
    }
}
