package dev.streamfleet.worker.internal.kinesis;

import java.time.Duration;

/**
 * When to read a shard next ({@link Polling}): at the pace while reads return records, and after
 * each empty read twice as long as after the one before, up to the ceiling. Pure; its unit owns it.
 */
final class PollPacing {

    private final Polling polling;
    private int emptyReads;

    PollPacing(Polling polling) {
        this.polling = polling;
    }

    /** The pause before the next read, after a read that returned records or not, {@code sinceCall} ago. */
    Duration next(boolean empty, Duration sinceCall) {
        Duration wait = Duration.ZERO;
        if (empty) {
            emptyReads++;
            Duration backoff = polling.idleWait().multipliedBy(1L << Math.min(emptyReads - 1, 20));
            wait = backoff.compareTo(polling.idleWaitMax()) > 0 ? polling.idleWaitMax() : backoff;
        } else {
            emptyReads = 0;
        }
        Duration delay = max(polling.interval(), wait).minus(sinceCall);
        return delay.isNegative() ? Duration.ZERO : delay;
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
