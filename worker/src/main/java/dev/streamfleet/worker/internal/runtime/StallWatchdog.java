package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.coordinator.Scheduler;
import dev.streamfleet.core.MonotonicClock;
import dev.streamfleet.core.UnitId;

import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A unit's watchdog, on the timer thread and off the unit's mailbox, so that it sees a unit whose
 * batch never returns. It reports the unit STALLED while records wait and none is processed
 * within the bound, and clears it once the unit moves again or is done. Its runs follow one
 * another; what it remembers is its own.
 */
final class StallWatchdog {

    private static final Logger LOG = LoggerFactory.getLogger(StallWatchdog.class);

    private final UnitId unit;
    private final ProgressWatch progress;
    private final StalledUnits stalls;
    private final MonotonicClock clock;
    private final Scheduler scheduler;
    private boolean reported;

    private StallWatchdog(UnitId unit, ProgressWatch progress, StalledUnits stalls, MonotonicClock clock, Scheduler scheduler) {
        this.unit = unit;
        this.progress = progress;
        this.stalls = stalls;
        this.clock = clock;
        this.scheduler = scheduler;
    }

    /** Watches the unit until its progress watch is closed. */
    static void start(UnitId unit, ProgressWatch progress, StalledUnits stalls, MonotonicClock clock, Scheduler scheduler) {
        StallWatchdog watchdog = new StallWatchdog(unit, progress, stalls, clock, scheduler);
        scheduler.schedule(watchdog::watch, progress.checkEvery());
    }

    private void watch() {
        Optional<String> stalled = progress.stalled(clock.instant());
        if (stalled.isPresent()) {
            stalls.report(unit, stalled.get());
            if (!reported) {
                LOG.warn("{} is STALLED: {}", unit, stalled.get());
                reported = true;
            }
        } else {
            stalls.clear(unit);
            if (reported) {
                LOG.info("{} is making progress again", unit);
                reported = false;
            }
        }
        if (progress.closed()) {
            stalls.clear(unit);
            return;
        }
        scheduler.schedule(this::watch, progress.checkEvery());
    }
}
