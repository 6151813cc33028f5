package dev.streamfleet.worker;

import dev.streamfleet.core.UnitId;

import java.time.Duration;
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
 * @param fetch              latency of the fetches
 * @param checkpoint         latency of the checkpoint writes
 */
public record UnitMetricsSnapshot(UnitId unit, long records, double recordsPerSecond, long bytes, double bytesPerSecond,
                                  OptionalLong millisBehindLatest, OptionalLong offsetLag, long processorRetries,
                                  long errors, Latency fetch, Latency checkpoint) {

    /**
     * A latency distribution over roughly the last five minutes.
     *
     * @param count calls since the unit started here
     * @param p50   median
     * @param p99   99th percentile
     */
    public record Latency(long count, Duration p50, Duration p99) {
    }
}
