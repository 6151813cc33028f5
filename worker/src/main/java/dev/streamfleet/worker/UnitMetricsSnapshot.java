package dev.streamfleet.worker;

import dev.streamfleet.core.PublicApi;
import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One unit's metrics at one moment, for the status endpoints.
 *
 * @param unit               the unit
 * @param records            records processed on this worker since the unit started here
 * @param recordsPerSecond   processed records per second, as a one-minute moving average
 * @param bytes              bytes of record data processed
 * @param bytesPerSecond     processed bytes per second, as a one-minute moving average
 * @param millisBehindLatest how far behind the tip of a Kinesis shard the last fetch was; empty when unknown
 * @param offsetLag          records between the last fetched Kafka offset and the end; empty when unknown
 * @param processorRetries   batches offered again after the processor failed
 * @param errors             failed fetches, checkpoints and processor calls
 * @param deadLettered       records written to the dead-letter destination after failing every attempt
 * @param fetch              latency of the fetches
 * @param checkpoint         latency of the checkpoint writes
 * @param lanes              at parallelism above 1, the unit's records between reading and finishing; empty otherwise
 * @param busy               time the processor spent on the unit's batches on this worker
 * @param droppedOutsideRange user records of KPL aggregates dropped because their hash keys lie outside the shard's
 *                           range
 */
@PublicApi
public record UnitMetricsSnapshot(UnitId unit, long records, double recordsPerSecond, long bytes, double bytesPerSecond,
                                  OptionalLong millisBehindLatest, OptionalLong offsetLag, long processorRetries,
                                  long errors, long deadLettered, Latency fetch, Latency checkpoint,
                                  Optional<Lanes> lanes, java.time.Duration busy, long droppedOutsideRange) {

    /**
     * A unit's records between reading and finishing, at parallelism above 1.
     *
     * @param inFlight                records read and not finished yet
     * @param busyLanes               lanes (keys) with a batch at the processor now
     * @param finishedBeyondWatermark records finished after the watermark: what the checkpoint's
     *                                list of finished records spares a new owner from processing again
     */
    public record Lanes(int inFlight, int busyLanes, long finishedBeyondWatermark) {
    }

    /**
     * A latency distribution over roughly the last five minutes.
     *
     * @param count calls since the unit started here
     * @param sum   their time added up
     * @param p50   median
     * @param p99   99th percentile
     */
    public record Latency(long count, Duration sum, Duration p50, Duration p99) {
    }
}
