package dev.streamfleet.coordinator.zk;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * When ZooKeeper last confirmed this worker's session, and so whether its leases are certainly
 * still its own. A request sent at time s and answered proves the session alive at some moment
 * after s, so the server cannot expire it before s + session timeout. Leases count as current
 * until two thirds of the timeout after the last confirmed send, which leaves a third of the
 * timeout as margin for the processing that starts right then. Pure: the time comes from the
 * supplier, the confirmations from the caller.
 */
final class SessionConfirmations {

    private final long validForNanos;
    private final LongSupplier nanoTime;
    private volatile long lastConfirmedSend;
    private volatile boolean confirmed;

    SessionConfirmations(Duration sessionTimeout, LongSupplier nanoTime) {
        this.validForNanos = sessionTimeout.toNanos() * 2 / 3;
        this.nanoTime = nanoTime;
    }

    /** How often to ask: four times per session timeout keeps the leases current between asks. */
    static Duration interval(Duration sessionTimeout) {
        return sessionTimeout.dividedBy(4);
    }

    long now() {
        return nanoTime.getAsLong();
    }

    /** The request sent at {@code sentNanos} was answered by the server. */
    synchronized void confirmed(long sentNanos) {
        if (!confirmed || sentNanos - lastConfirmedSend > 0) {
            lastConfirmedSend = sentNanos;
            confirmed = true;
        }
    }

    boolean current() {
        return confirmed && nanoTime.getAsLong() - lastConfirmedSend < validForNanos;
    }
}
