package dev.streamfleet.coordinator.internal.zk;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
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
    /** When the newest answered request was sent; null until one is answered. */
    private final AtomicReference<Long> lastConfirmedSend = new AtomicReference<>();

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
    void confirmed(long sentNanos) {
        lastConfirmedSend.accumulateAndGet(sentNanos, (last, sent) -> last == null || sent - last > 0 ? sent : last);
    }

    boolean current() {
        Long last = lastConfirmedSend.get();
        return last != null && nanoTime.getAsLong() - last < validForNanos;
    }
}
