package dev.streamfleet.worker.cli;

import sun.misc.Signal;

/**
 * SIGTERM and SIGINT as a request to stop gracefully. A shutdown hook would also run, but the
 * JVM would then exit with 143 instead of the 0 that a clean handover deserves.
 */
final class Signals {

    private Signals() {
    }

    static void onTermination(Runnable action) {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), signal -> action.run());
            } catch (IllegalArgumentException e) {
                // The platform does not know this signal; the other one still works.
            }
        }
    }
}
