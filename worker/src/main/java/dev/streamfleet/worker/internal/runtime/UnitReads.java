package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.core.MonotonicClock;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.Fetch;
import dev.streamfleet.worker.RecordSource;


import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * A unit's reads from its source, and what each says beyond its records: how long it took, how
 * far behind the unit is, why a read failed (which the watchdog reports once it lasts), records
 * skipped because the stream no longer retains them, and KPL user records dropped as another shard's. Runs on the unit's mailbox.
 */
final class UnitReads {

    private static final Logger LOG = LoggerFactory.getLogger(UnitReads.class);

    private final UnitId unit;
    private final RecordSource source;
    private final UnitMetrics metrics;
    private final ProgressWatch progress;
    private final StalledUnits troubles;
    private final MonotonicClock clock;
    /** Whether a failed read is on the status as retrying, so that only the first success after it clears it. */
    private boolean retryingShown;
    /** Whether a drop of out-of-range KPL user records has been logged at INFO for this unit. */
    private boolean droppedOutsideRangeLogged;

    UnitReads(UnitId unit, RecordSource source, UnitMetrics metrics, ProgressWatch progress, StalledUnits troubles,
              MonotonicClock clock) {
        this.unit = unit;
        this.source = source;
        this.metrics = metrics;
        this.progress = progress;
        this.troubles = troubles;
        this.clock = clock;
    }

    /** One read; a failed one (with {@link Fetch#retryAfter}) is reported, and the caller waits as it asks. */
    Fetch fetch() {
        long started = System.nanoTime();
        Fetch fetch = source.fetch();
        metrics.fetched(System.nanoTime() - started);
        fetch.notRetained().ifPresent(why -> {
            // Records the stream no longer has were skipped: nobody can process them now, but nobody may miss it either.
            metrics.notRetained();
            troubles.retentionSkipped(unit, why);
            LOG.error("{}: records skipped, no longer retained by the stream: {}", unit, why);
        });
        if (fetch.retryAfter().isPresent()) {
            fetch.failure().ifPresent(reason -> {
                progress.readFailed(clock.instant(), reason);
                troubles.retrying(unit, reason);
                retryingShown = true;
            });
            return fetch;
        }
        progress.readSucceeded();
        if (retryingShown) {
            troubles.readRecovered(unit);
            retryingShown = false;
        }
        metrics.lag(fetch.millisBehindLatest(), fetch.offsetLag());
        if (fetch.droppedOutsideRange() > 0) {
            metrics.droppedOutsideRange(fetch.droppedOutsideRange());
            // Once per unit at INFO: after a reshard many batches may carry them; the counter has every one.
            boolean first = !droppedOutsideRangeLogged;
            droppedOutsideRangeLogged = true;
            LOG.atLevel(first ? Level.INFO : Level.DEBUG).log("{}: dropped {} user records of KPL aggregates whose hash"
                    + " keys lie outside the shard's range (they are another shard's since a reshard; KCL drops them"
                    + " too); counted in streamfleet_unit_kpl_dropped_outside_range_total", unit,
                    fetch.droppedOutsideRange());
        }
        return fetch;
    }
}
