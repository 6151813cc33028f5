package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.coordinator.Scheduler;
import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The timers of a revoke and of an abandon, on the timer thread so that a hung processor cannot hold them: at
 * the deadline an unfinished revoke is logged as overdue, and {@code stuckAfter} later the
 * worker's stuck handler is told (in a worker process: exit, so that the session expires and the
 * unit moves). Both are called off when the revoke completes.
 */
final class RevokeDeadline {

    private static final Logger LOG = LoggerFactory.getLogger(RevokeDeadline.class);

    private RevokeDeadline() {
    }

    static void watch(UnitId unit, Scheduler scheduler, CompletableFuture<Boolean> done, Duration timeout,
                      Duration stuckAfter, Consumer<String> onStuck) {
        Scheduler.Cancellable overdue = scheduler.schedule(() -> {
            if (!done.isDone()) {
                LOG.warn("{}: the batch in hand did not finish within {} ms of the revoke; the unit will be dropped"
                        + " without a checkpoint once it does", unit, timeout.toMillis());
            }
        }, timeout);
        Scheduler.Cancellable stuck = scheduler.schedule(() -> {
            if (!done.isDone()) {
                onStuck.accept(unit + ": the processor has not returned " + seconds(timeout.plus(stuckAfter))
                        + " after the revoke (processing.drainTimeout + processing.stuckAfter)");
            }
        }, timeout.plus(stuckAfter));
        done.whenComplete((clean, error) -> {
            overdue.cancel();
            stuck.cancel();
        });
    }

    /**
     * The one timer of an abandon (no checkpoint, so no drain deadline): {@code stuckAfter} after
     * it, a batch that has still not returned is the stuck handler's. Until then the unit is not
     * taken again on this worker, so the bound keeps a hung batch from holding it forever.
     */
    static void watchAbandon(UnitId unit, Scheduler scheduler, CompletableFuture<Void> done, Duration stuckAfter,
                             Consumer<String> onStuck) {
        Scheduler.Cancellable stuck = scheduler.schedule(() -> {
            if (!done.isDone()) {
                onStuck.accept(unit + ": the processor has not returned " + seconds(stuckAfter)
                        + " after it was dropped (processing.stuckAfter)");
            }
        }, stuckAfter);
        done.whenComplete((ignored, error) -> stuck.cancel());
    }

    /** "70 s", or "2.5 s" for a bound configured finer than a second (processing.stuckAfter). */
    static String seconds(Duration duration) {
        return java.math.BigDecimal.valueOf(duration.toMillis(), 3).stripTrailingZeros().toPlainString() + " s";
    }
}
