package dev.streamfleet.worker.internal.load;

import java.time.Duration;

/**
 * What a unit has done on this worker since it started here: counters that only grow.
 *
 * @param records records processed
 * @param bytes   bytes of record data processed
 * @param busy    time the processor spent on its batches
 */
public record UnitCounts(long records, long bytes, Duration busy) {
}
