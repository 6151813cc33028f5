package dev.streamfleet.simulation;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * The turn, handed between the simulation's driver and one of its threads: exactly one of them
 * runs, the other waits for the baton. The wait spins for a moment first, as the hand back usually
 * comes within microseconds, and parks only after that; a wake-up through the scheduler would
 * cost far more than the work between two hand-overs. Only the driver spins and bounds its wait
 * ({@link #takeWithin}); a simulation thread parks at once, as its turn may be far off.
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

    /** Waits for the baton, however long, parking at once. */
    void take() {
        waiter = Thread.currentThread();
        while (!given) {
            LockSupport.park(this);
        }
        waiter = null;
        given = false;
    }

    /**
     * Waits for the baton at most {@code bound} of real time, spinning first as it is expected back
     * soon; false when it did not come.
     */
    boolean takeWithin(Duration bound) {
        for (int i = 0; i < SPINS; i++) {
            if (given) {
                given = false;
                return true;
            }
            Thread.onSpinWait();
        }
        long deadline = System.nanoTime() + bound.toNanos();
        waiter = Thread.currentThread();
        while (!given) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                waiter = null;
                return false;
            }
            LockSupport.parkNanos(this, left);
        }
        waiter = null;
        given = false;
        return true;
    }
}
