package dev.streamfleet.worker.internal.kinesis;

import dev.streamfleet.core.Backoff;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.Fetch;
import dev.streamfleet.worker.RecordSource;
import dev.streamfleet.worker.StreamRecord;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.random.RandomGenerator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ExpiredIteratorException;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/**
 * Reads one shard with GetShardIterator and GetRecords, at most five calls a second.
 *
 * <p>A shard with a checkpoint resumes AT_SEQUENCE_NUMBER of the checkpointed record and drops
 * every user record up to and including the checkpoint, which also resumes correctly inside a
 * KPL aggregate (whose user records share the sequence number and differ by sub-sequence). A
 * shard without one starts at the configured initial position. An expired iterator is replaced
 * the same way from the last record returned, so nothing is skipped and nothing returned is
 * returned again. Throttling, server errors and timeouts back off with jitter, without a thread
 * sleeping.
 */
final class KinesisShardSource implements RecordSource {

    private static final Logger LOG = LoggerFactory.getLogger(KinesisShardSource.class);
    /**
     * The most user records one fetch hands out: GetRecords' own limit. A read of KPL aggregates
     * is split into slices of this many, so that reading (paused at {@code maxInFlight}) bounds them.
     */
    static final int USER_RECORDS_PER_FETCH = 10_000;
    private static final Backoff BACKOFF = new Backoff(Integer.MAX_VALUE, Duration.ofMillis(200), Duration.ofSeconds(5));

    private final KinesisClient client;
    private final KinesisSourceConfig config;
    private final UnitId unit;
    private final Optional<Position> resumeAfter;
    private String iterator;
    private final ShardRanges ranges;
    private final ShardRecords records;
    private long lastCallNanos;
    private int consecutiveFailures;
    private final PollPacing pacing;
    /** MillisBehindLatest of the last read, for the slices of it. */
    private OptionalLong behind = OptionalLong.empty();

    KinesisShardSource(KinesisClient client, KinesisSourceConfig config, UnitId unit, Optional<Position> resumeAfter,
                       ShardRanges ranges) {
        this.client = client;
        this.config = config;
        this.pacing = new PollPacing(config.polling());
        this.unit = unit;
        this.resumeAfter = resumeAfter;
        this.ranges = ranges;
        this.records = new ShardRecords(unit);
    }

    @Override
    public Fetch fetch() {
        if (records.hasPending()) {
            // The rest of the last read, before reading more.
            return slice();
        }
        if (!records.knowsRange()) {
            Optional<HashKeyRange> range = ranges.of(unit.shard());
            if (range.isEmpty()) {
                consecutiveFailures++;
                return Fetch.failed(backoff(), ranges.whyUnknown(unit.shard()));
            }
            records.range(range.get());
        }
        try {
            if (iterator == null) {
                iterator = newIterator();
            }
            lastCallNanos = System.nanoTime();
            GetRecordsResponse response = client.getRecords(r -> r.shardIterator(iterator).limit(config.limit()));
            consecutiveFailures = 0;
            records.offer(response.records());
            iterator = response.nextShardIterator();
            behind = response.millisBehindLatest() == null ? OptionalLong.empty()
                    : OptionalLong.of(response.millisBehindLatest());
            return slice();
        } catch (ExpiredIteratorException e) {
            LOG.debug("{}: iterator expired; a new one starts after {}", unit, records.lastReturned());
            iterator = null;
            return Fetch.failed(Duration.ZERO);
        } catch (ResourceNotFoundException e) {
            consecutiveFailures++;
            String reason = "Kinesis stream " + config.stream() + " or its shard " + unit.shard() + " does not exist: "
                    + (e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage());
            LOG.error("{}: {}", unit, reason);
            return Fetch.failed(backoff(), reason);
        } catch (SdkException e) {
            consecutiveFailures++;
            if (!isTransient(e)) {
                LOG.error("{}: GetRecords failed: {}", unit, e.getMessage());
            } else if (consecutiveFailures % 10 == 0) {
                LOG.warn("{}: {} GetRecords calls in a row failed; last: {}", unit, consecutiveFailures, e.getMessage());
            }
            return Fetch.failed(backoff(), "GetRecords failed: " + e.getMessage());
        }
    }

    /** At most {@link #USER_RECORDS_PER_FETCH} user records of what was read; the shard ends with the last of them. */
    private Fetch slice() {
        List<StreamRecord> batch = new ArrayList<>();
        records.take(batch, USER_RECORDS_PER_FETCH);
        boolean end = iterator == null && !records.hasPending();
        return new Fetch(batch, behind, OptionalLong.empty(), end, Optional.empty(), Optional.empty(),
                records.takeDroppedOutsideRange(), records.takeNotRetained());
    }

    private Duration backoff() {
        return BACKOFF.delayAfter(consecutiveFailures, RandomGenerator.getDefault()).plus(config.polling().interval());
    }

    static boolean isTransient(SdkException e) {
        if (e instanceof SdkServiceException service) {
            return service.isThrottlingException() || service.statusCode() >= 500
                    || "LimitExceededException".equals(errorCode(service));
        }
        return e instanceof SdkClientException;
    }

    private static String errorCode(SdkServiceException e) {
        return e instanceof software.amazon.awssdk.awscore.exception.AwsServiceException aws && aws.awsErrorDetails() != null
                ? aws.awsErrorDetails().errorCode() : "";
    }

    private String newIterator() {
        Position from = records.lastReturned().or(() -> resumeAfter).orElse(config.initialPosition());
        GetShardIteratorRequest.Builder request = GetShardIteratorRequest.builder()
                .streamName(config.stream()).shardId(unit.shard());
        records.skipThrough(null);
        if (from instanceof Position.Sequence sequence) {
            request.shardIteratorType(ShardIteratorType.AT_SEQUENCE_NUMBER)
                    .startingSequenceNumber(sequence.sequenceNumber().toString());
            records.skipThrough(sequence);
        } else if (from instanceof Position.AtTimestamp at) {
            request.shardIteratorType(ShardIteratorType.AT_TIMESTAMP).timestamp(at.timestamp());
        } else if (from instanceof Position.Latest) {
            request.shardIteratorType(ShardIteratorType.LATEST);
        } else {
            request.shardIteratorType(ShardIteratorType.TRIM_HORIZON);
        }
        lastCallNanos = System.nanoTime();
        return client.getShardIterator(request.build()).shardIterator();
    }

    @Override
    public Duration nextDelay(Fetch last) {
        if (records.hasPending()) {
            return Duration.ZERO;
        }
        return pacing.next(last.records().isEmpty(), Duration.ofNanos(System.nanoTime() - lastCallNanos));
    }

    @Override
    public void close() {
        iterator = null;
    }
}
