package dev.streamfleet.coordinator.internal.zk;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * When the ZooKeeper ensemble last confirmed this worker's session, and so whether its leases are
 * certainly still its own. A confirmation is a {@code sync} sent at time s and answered: the
 * leader took it after s, and had not closed the session then (a follower applies the session's
 * close before it answers a later sync, and the close drops the connection). The leader expires a
 * session one timeout after the last activity the follower relayed to it; the worker is active at
 * least every {@link #interval} (these syncs), and followers relay activity every half tick, so
 * with a timeout of at least two ticks (ZooKeeper's minimum) the session lives until three
 * quarters of the timeout after s at the earliest. Leases count as current until two thirds of
 * the timeout after the last confirmed send, which leaves margin for the processing that starts
 * right then. A plain read would not do: a follower cut off from the leader answers it from its
 * own copy for up to syncLimit × tickTime. Pure: the time comes from the supplier, the
 * confirmations from the caller.
 */
public final class SessionConfirmations {

    private final long validForNanos;
    private final LongSupplier nanoTime;
    /** When the newest answered request was sent; null until one is answered. */
    private final AtomicReference<Long> lastConfirmedSend = new AtomicReference<>();

    public SessionConfirmations(Duration sessionTimeout, LongSupplier nanoTime) {
        this.validForNanos = sessionTimeout.toNanos() * 2 / 3;
        this.nanoTime = nanoTime;
    }

    /** How often to ask: four times per session timeout keeps the leases current between asks. */
    public static Duration interval(Duration sessionTimeout) {
        return sessionTimeout.dividedBy(4);
    }

    public long now() {
        return nanoTime.getAsLong();
    }

    /** The request sent at {@code sentNanos} was answered by the server. */
    public void confirmed(long sentNanos) {
        lastConfirmedSend.accumulateAndGet(sentNanos, (last, sent) -> last == null || sent - last > 0 ? sent : last);
    }

    public boolean current() {
        Long last = lastConfirmedSend.get();
        return last != null && nanoTime.getAsLong() - last < validForNanos;
    }
}
