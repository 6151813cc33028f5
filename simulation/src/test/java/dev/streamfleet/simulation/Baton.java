package dev.streamfleet.simulation;

import java.util.concurrent.locks.LockSupport;

/**
 * The turn, handed between the simulation's driver and one of its threads: exactly one of them
 * runs, the other waits for the baton. The wait spins for a moment first, as the hand back usually
 * comes within microseconds, and parks only after that; a wake-up through the scheduler would
 * cost far more than the work between two hand-overs.
 */
final class Baton {

    private static final int SPINS = 5_000;

    private volatile boolean given;
    private volatile Thread waiter;

    void give() {
        given = true;
        Thread parked = waiter;
        if (parked != null) {
            LockSupport.unpark(parked);
        }
    }

    /** Waits for the baton, spinning first when it is expected back soon. */
    void take(boolean spin) {
        for (int i = 0; spin && i < SPINS; i++) {
            if (given) {
                given = false;
                return;
            }
            Thread.onSpinWait();
        }
        waiter = Thread.currentThread();
        while (!given) {
            LockSupport.park(this);
        }
        waiter = null;
        given = false;
    }
}
