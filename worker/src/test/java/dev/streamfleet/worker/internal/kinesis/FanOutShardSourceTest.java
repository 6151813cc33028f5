package dev.streamfleet.worker.internal.kinesis;

import dev.streamfleet.worker.config.FanOut;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.Fetch;
import dev.streamfleet.worker.StreamRecord;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.HashKeyRange;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;

import static org.assertj.core.api.Assertions.assertThat;

/** The fan-out reader against Kinesis's subscription API as the SDK presents it, with events injected. */
class FanOutShardSourceTest {

    private static final UnitId SHARD = UnitId.kinesis("s", "shardId-000000000000");

    private final FanOutKinesis kinesis = new FanOutKinesis();
    private final AtomicInteger wakes = new AtomicInteger();

    /** Jitter that always takes the whole backoff, so that the delays are known. */
    private static final RandomGenerator WHOLE_BACKOFF = new RandomGenerator() {
        @Override
        public long nextLong() {
            return Long.MAX_VALUE;
        }

        @Override
        public long nextLong(long bound) {
            return bound - 1;
        }
    };

    /** Every hash key belongs to the shard under test. */
    private static final ShardRanges WHOLE_SPACE = new ShardRanges("s", () -> java.util.Map.of(SHARD.shard(),
            new dev.streamfleet.worker.internal.kinesis.HashKeyRange(java.math.BigInteger.ZERO, java.math.BigInteger.TWO.pow(128).subtract(java.math.BigInteger.ONE))),
            java.time.Clock.systemUTC());

    private FanOutShardSource open(Optional<Position> resumeAfter) {
        return open(Position.TRIM_HORIZON, resumeAfter);
    }

    /** The shards ListShards gives an ending sequence number, as the test sets them. */
    private final java.util.Set<String> closedShards = new java.util.HashSet<>();

    private FanOutShardSource open(Position initialPosition, Optional<Position> resumeAfter) {
        ClosedShards closed = new ClosedShards("s", () -> java.util.Set.copyOf(closedShards), java.time.Clock.systemUTC(),
                Runnable::run);
        FanOutShardSource source = new FanOutShardSource(kinesis, new StreamConsumer(kinesis, "s", FanOut.named("app")),
                KinesisSourceConfig.of("s", initialPosition), SHARD, resumeAfter, WHOLE_SPACE, closed, WHOLE_BACKOFF);
        source.onRecordsAvailable(wakes::incrementAndGet);
        return source;
    }

    private static Record record(long sequence, String data) {
        return Record.builder().sequenceNumber(Long.toString(sequence)).partitionKey("k")
                .data(SdkBytes.fromUtf8String(data)).approximateArrivalTimestamp(Instant.EPOCH).build();
    }

    private static SubscribeToShardEvent event(long continuation, Record... records) {
        return SubscribeToShardEvent.builder().records(records).continuationSequenceNumber(Long.toString(continuation))
                .millisBehindLatest(0L).build();
    }

    private static List<String> data(Fetch fetch) {
        return fetch.records().stream().map(r -> new String(r.data(), StandardCharsets.UTF_8)).toList();
    }

    @Test
    void childShardSeededByTheLeaderIsSubscribedFromItsBeginningNotAtTheInitialPosition() {
        // The leader seeds a shard created while the fleet runs with TRIM_HORIZON (docs/design.md §2a).
        FanOutShardSource source = open(Position.LATEST, Optional.of(Position.TRIM_HORIZON));
        source.fetch();

        assertThat(kinesis.last().request.startingPosition().type()).isEqualTo(ShardIteratorType.TRIM_HORIZON);
    }

    @Test
    void aSlowProcessorHoldsAtMostOneEventAndKinesisWaitsForIt() {
        FanOutShardSource source = open(Optional.empty());
        assertThat(source.fetch().records()).isEmpty();
        FanOutKinesis.Call call = kinesis.last();
        assertThat(call.request.startingPosition().type()).isEqualTo(ShardIteratorType.TRIM_HORIZON);

        source.fetch();
        assertThat(call.requested).isEqualTo(1);
        call.emit(event(10, record(1, "a"), record(2, "b")));
        assertThat(wakes.get()).isPositive();
        // Until the unit takes the event, nothing more is asked for: Kinesis holds the rest.
        assertThat(call.requested).isZero();

        Fetch first = source.fetch();
        assertThat(data(first)).containsExactly("a", "b");
        assertThat(call.requested).isEqualTo(1);
        call.emit(event(20, record(11, "c")));
        assertThat(call.requested).isZero();
        assertThat(data(source.fetch())).containsExactly("c");
    }

    @Test
    void aSubscriptionEndingAfterItsFiveMinutesContinuesAfterTheLastEventWithNoGapAndNoDuplicate() {
        FanOutShardSource source = open(Optional.empty());
        source.fetch();
        source.fetch();
        FanOutKinesis.Call first = kinesis.last();
        first.emit(event(30, record(1, "a"), record(2, "b")));
        assertThat(data(source.fetch())).containsExactly("a", "b");
        first.complete();

        Fetch renewing = source.fetch();
        assertThat(renewing.retryAfter()).isEmpty();
        assertThat(kinesis.calls).hasSize(2);
        FanOutKinesis.Call second = kinesis.last();
        assertThat(second.request.startingPosition().type()).isEqualTo(ShardIteratorType.AFTER_SEQUENCE_NUMBER);
        assertThat(second.request.startingPosition().sequenceNumber()).isEqualTo("30");

        source.fetch();
        // Even were the new subscription to repeat a record already handed out, it is not delivered twice.
        second.emit(event(40, record(2, "b"), record(31, "c")));
        assertThat(data(source.fetch())).containsExactly("c");
    }

    @Test
    void aCheckpointInsideAnAggregateResumesAtItsSequenceNumberWithoutRedeliveringItsDeliveredPart() {
        byte[] aggregate = KplAggregates.aggregate(List.of(new KplAggregation.UserRecord("k", "u0".getBytes()),
                new KplAggregation.UserRecord("k", "u1".getBytes()), new KplAggregation.UserRecord("k", "u2".getBytes())));
        FanOutShardSource source = open(Optional.of(new Position.Sequence(BigInteger.valueOf(5), 1)));
        source.fetch();
        FanOutKinesis.Call call = kinesis.last();
        assertThat(call.request.startingPosition().type()).isEqualTo(ShardIteratorType.AT_SEQUENCE_NUMBER);
        assertThat(call.request.startingPosition().sequenceNumber()).isEqualTo("5");

        source.fetch();
        call.emit(event(9, Record.builder().sequenceNumber("5").partitionKey("k").data(SdkBytes.fromByteArray(aggregate))
                .approximateArrivalTimestamp(Instant.EPOCH).build(), record(6, "after")));
        List<StreamRecord> records = source.fetch().records();
        assertThat(records).extracting(r -> new String(r.data(), StandardCharsets.UTF_8)).containsExactly("u2", "after");
        assertThat(records.get(0).position()).isEqualTo(new Position.Sequence(BigInteger.valueOf(5), 2));
    }

    @Test
    void theEventWithChildShardsEndsTheUnitAfterItsRecords() {
        FanOutShardSource source = open(Optional.empty());
        source.fetch();
        source.fetch();
        FanOutKinesis.Call call = kinesis.last();
        call.emit(SubscribeToShardEvent.builder().records(record(1, "last")).millisBehindLatest(0L)
                .childShards(ChildShard.builder().shardId("shardId-000000000001").parentShards(SHARD.shard())
                        .hashKeyRange(HashKeyRange.builder().startingHashKey("0").endingHashKey("1").build()).build())
                .build());

        Fetch end = source.fetch();
        assertThat(data(end)).containsExactly("last");
        assertThat(end.endOfUnit()).isTrue();
        assertThat(call.cancelled).isTrue();
    }

    @Test
    void aClosedShardWhoseSubscriptionHasCaughtUpEndsTheUnitThoughNoEventNamesItsChildren() {
        closedShards.add(SHARD.shard());
        FanOutShardSource source = open(Optional.empty());
        source.fetch();
        source.fetch();
        FanOutKinesis.Call call = kinesis.last();
        call.emit(SubscribeToShardEvent.builder().records(record(1, "a")).continuationSequenceNumber("1")
                .millisBehindLatest(500L).build());
        Fetch reading = source.fetch();
        assertThat(data(reading)).containsExactly("a");
        assertThat(reading.endOfUnit()).as("records still behind").isFalse();

        // Caught up, on a shard found closed: this event may predate the close, so a new subscription looks again.
        call.emit(event(1));
        assertThat(source.fetch().endOfUnit()).isFalse();
        source.fetch();
        assertThat(kinesis.calls).hasSize(2);
        FanOutKinesis.Call again = kinesis.last();
        assertThat(again.request.startingPosition().type()).isEqualTo(ShardIteratorType.AFTER_SEQUENCE_NUMBER);
        assertThat(again.request.startingPosition().sequenceNumber()).isEqualTo("1");

        source.fetch();
        again.emit(event(1));
        Fetch end = source.fetch();
        assertThat(end.records()).isEmpty();
        assertThat(end.endOfUnit()).as("closed, and a subscription made since has nothing left").isTrue();
        assertThat(again.done).isCancelled();
    }

    @Test
    void recordsWrittenBeforeAShardClosedButAfterACaughtUpEventAreReadBeforeTheShardEnds() {
        closedShards.add(SHARD.shard());
        FanOutShardSource source = open(Optional.empty());
        source.fetch();
        source.fetch();
        kinesis.last().emit(event(1)); // made while the shard was open and empty
        source.fetch();
        source.fetch();
        source.fetch();
        FanOutKinesis.Call again = kinesis.last();
        assertThat(kinesis.calls).hasSize(2);

        again.emit(SubscribeToShardEvent.builder().records(record(2, "late")).continuationSequenceNumber("2")
                .millisBehindLatest(0L).build());
        Fetch late = source.fetch();
        assertThat(data(late)).containsExactly("late");
        assertThat(late.endOfUnit()).isFalse();
        again.emit(event(2));
        assertThat(source.fetch().endOfUnit()).isTrue();
    }

    @Test
    void anOpenShardWhoseSubscriptionHasCaughtUpGoesOnReading() {
        FanOutShardSource source = open(Optional.empty());
        source.fetch();
        source.fetch();
        FanOutKinesis.Call call = kinesis.last();
        call.emit(event(1));
        assertThat(source.fetch().endOfUnit()).isFalse();
        call.emit(event(2, record(2, "b")));
        assertThat(data(source.fetch())).containsExactly("b");
        assertThat(kinesis.calls).hasSize(1);
    }

    @Test
    void aShardHeldByAnotherSubscriptionIsTakenOverFiveSecondsAfterEachRefusalNeitherSoonerNorLater() {
        FanOutShardSource source = open(Optional.empty());
        List<Long> waits = new ArrayList<>();
        for (int attempt = 0; attempt < 5; attempt++) {
            source.fetch();
            kinesis.last().fail(ResourceInUseException.builder().message("Another active subscription exists").build());
            Fetch refused = source.fetch();
            waits.add(refused.retryAfter().orElseThrow().toMillis());
            assertThat(refused.failure()).hasValueSatisfying(reason -> assertThat(reason)
                    .contains("ResourceInUseException", "taking it over in 5 s"));
        }
        assertThat(waits).allSatisfy(wait -> assertThat(wait).isBetween(5_000L, 5_250L));
        assertThat(kinesis.calls).hasSize(5);
    }

    /**
     * Review 26: UnitReads counts every fetch without a retryAfter as a successful read
     * (ProgressWatch.readSucceeded), which clears the run of failures. A shard refused on every
     * SubscribeToShard must keep its failure on every fetch until an event arrives; otherwise the
     * failure clock restarts at each new attempt, the unit is never STALLED, and the reason
     * ("ResourceInUseException ...") never reaches the status page however long it lasts.
     */
    @Test
    void aShardRefusedOnEveryAttemptReportsTheFailureOnEveryFetchUntilAnEventArrives() {
        FanOutShardSource source = open(Optional.empty());
        source.fetch();
        List<Fetch> fetches = new ArrayList<>();
        for (int attempt = 0; attempt < 3; attempt++) {
            kinesis.last().fail(ResourceInUseException.builder().message("Another active subscription exists").build());
            fetches.add(source.fetch()); // the refusal, with its backoff
            fetches.add(source.fetch()); // the next attempt, after the backoff
        }
        assertThat(kinesis.calls).as("attempts made").hasSize(4);
        assertThat(fetches).allSatisfy(fetch -> assertThat(fetch.failure())
                .as("a fetch while every subscription is refused").isPresent());
    }

    /**
     * Review 26: Kinesis names the stream and the consumer in its refusal ("Another active
     * subscription exists for this consumer: account:stream:shard:consumer"). The reader tells a
     * consumer that is not ACTIVE from a held shard by the text "ACTIVE" anywhere in the message,
     * so a stream or consumer whose name holds it turns every takeover into "consumer not ACTIVE".
     */
    @Test
    void aShardHeldByAnotherSubscriptionOfAStreamNamedWithActiveIsStillTakenOverAfterFiveSeconds() {
        FanOutShardSource source = open(Optional.empty());
        source.fetch();
        kinesis.last().fail(ResourceInUseException.builder()
                .message("Another active subscription exists for this consumer: 000000000000:ACTIVE-users:"
                        + "shardId-000000000000:app").build());

        Fetch refused = source.fetch();

        assertThat(refused.failure()).hasValueSatisfying(reason -> assertThat(reason).contains("taking it over in 5 s"));
        assertThat(refused.retryAfter().orElseThrow().toMillis()).isBetween(5_000L, 5_250L);
    }

    @Test
    void aReleaseFromAnotherThreadCancelsTheSubscriptionAtOnceAndNothingIsSubscribedAgain() throws Exception {
        FanOutShardSource source = open(Optional.empty());
        source.fetch();
        source.fetch();
        FanOutKinesis.Call call = kinesis.last();
        call.emit(event(1, record(1, "a")));
        assertThat(data(source.fetch())).containsExactly("a");

        Thread keeper = new Thread(source::release);
        keeper.start();
        keeper.join(5_000);
        assertThat(call.done).as("the subscription's call").isCancelled();

        Fetch after = source.fetch();
        assertThat(after.records()).isEmpty();
        assertThat(source.fetch().records()).isEmpty();
        assertThat(kinesis.calls).as("no new subscription").hasSize(1);
    }

    /**
     * Five KPL aggregates of 5,000 tiny user records each, 25,000 in all; a slice ends inside the
     * aggregate that reaches 10,000.
     */
    private static Record[] bomb() {
        Record[] aggregates = new Record[5];
        for (int a = 0; a < aggregates.length; a++) {
            List<KplAggregation.UserRecord> users = new ArrayList<>();
            for (int i = 0; i < 5_000; i++) {
                users.add(new KplAggregation.UserRecord("k" + (i % 7), new byte[] {(byte) i}));
            }
            aggregates[a] = Record.builder().sequenceNumber(Long.toString(a + 1)).partitionKey("aggregate")
                    .data(SdkBytes.fromByteArray(KplAggregates.aggregate(users))).approximateArrivalTimestamp(Instant.EPOCH)
                    .build();
        }
        return aggregates;
    }

    @Test
    void anEventOfManyTinyUserRecordsIsTakenInSlicesAndTheNextIsAskedForOnlyAfterTheLast() {
        FanOutShardSource source = open(Optional.empty());
        source.fetch();
        source.fetch();
        FanOutKinesis.Call call = kinesis.last();
        call.emit(event(10, bomb()));

        List<Integer> slices = new ArrayList<>();
        List<Long> requestedAfter = new ArrayList<>();
        List<Position> taken = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Fetch slice = source.fetch();
            slices.add(slice.records().size());
            requestedAfter.add(call.requested);
            slice.records().forEach(record -> taken.add(record.position()));
        }
        List<Position> expected = new ArrayList<>();
        for (int a = 1; a <= 5; a++) {
            for (int i = 0; i < 5_000; i++) {
                expected.add(new Position.Sequence(BigInteger.valueOf(a), i));
            }
        }
        assertThat(taken).as("in order, none twice, none left out").isEqualTo(expected);
        assertThat(slices).containsExactly(KinesisShardSource.USER_RECORDS_PER_FETCH,
                KinesisShardSource.USER_RECORDS_PER_FETCH, 5_000);
        assertThat(requestedAfter).as("Kinesis holds the next event until the last slice is taken").containsExactly(0L, 0L, 1L);
    }

    @Test
    void aLastEventTakenInSlicesEndsTheUnitWithItsLastSliceOnly() {
        FanOutShardSource source = open(Optional.empty());
        source.fetch();
        source.fetch();
        FanOutKinesis.Call call = kinesis.last();
        call.emit(SubscribeToShardEvent.builder().records(bomb()).millisBehindLatest(0L)
                .childShards(ChildShard.builder().shardId("shardId-000000000001").parentShards(SHARD.shard())
                        .hashKeyRange(HashKeyRange.builder().startingHashKey("0").endingHashKey("1").build()).build())
                .build());

        assertThat(source.fetch().endOfUnit()).isFalse();
        assertThat(source.fetch().endOfUnit()).isFalse();
        Fetch last = source.fetch();
        assertThat(last.records()).hasSize(5_000);
        assertThat(last.endOfUnit()).isTrue();
    }

    @Test
    void aShardStillHeldByAnotherSubscriptionIsRetriedAfterABackoffNotInATightLoop() {
        FanOutShardSource source = open(Optional.empty());
        source.fetch();
        kinesis.last().fail(ResourceInUseException.builder().message("Another active subscription exists").build());

        Fetch refused = source.fetch();
        assertThat(refused.retryAfter()).hasValueSatisfying(wait -> assertThat(wait.toMillis()).isPositive());
        assertThat(refused.failure()).hasValueSatisfying(reason -> assertThat(reason).contains("ResourceInUseException"));
        assertThat(kinesis.calls).hasSize(1);

        source.fetch();
        assertThat(kinesis.calls).hasSize(2);
        assertThat(kinesis.last().request.startingPosition().type()).isEqualTo(ShardIteratorType.TRIM_HORIZON);
    }

    @Test
    void aThrottledSubscriptionBacksOffLongerEachTimeInARow() {
        FanOutShardSource source = open(Optional.empty());
        List<Long> waits = new java.util.ArrayList<>();
        for (int attempt = 0; attempt < 6; attempt++) {
            source.fetch();
            kinesis.last().fail(LimitExceededException.builder().message("Rate exceeded").build());
            Fetch refused = source.fetch();
            waits.add(refused.retryAfter().orElseThrow().toMillis());
        }
        assertThat(waits).containsExactly(500L, 1_000L, 2_000L, 4_000L, 8_000L, 10_000L);
        assertThat(kinesis.calls).hasSize(6);
    }

    @Test
    void eventsOfASubscriptionThatWasStoppedAreNotDelivered() {
        FanOutShardSource source = open(Optional.empty());
        source.fetch();
        source.fetch();
        FanOutKinesis.Call call = kinesis.last();
        call.emit(event(10, record(1, "a")));
        source.close();
        assertThat(call.cancelled).isTrue();
        assertThat(source.fetch().records()).isEmpty();
    }

    @Test
    void aMissingConsumerIsRegisteredOnceAndUsed() {
        kinesis.consumerRegistered = false;
        FanOutShardSource source = open(Optional.empty());
        source.fetch();
        assertThat(kinesis.registrations).isEqualTo(1);
        assertThat(kinesis.last().request.consumerARN()).isEqualTo(FanOutKinesis.CONSUMER_ARN);
    }

    /**
     * An empty, caught-up event pushed while the shard was open waits while the processor works;
     * meanwhile record 6 is written and the shard split. Taken after the split, the event must not
     * end the unit: record 6 is read first, from a subscription made since.
     */
    @Test
    void aCaughtUpEventPushedBeforeTheShardClosedDoesNotEndTheUnitWhileRecordsRemain() {
        FanOutShardSource source = open(Optional.empty());
        source.fetch();
        source.fetch();
        FanOutKinesis.Call call = kinesis.last();
        call.emit(event(5, record(5, "a")));
        assertThat(data(source.fetch())).containsExactly("a");
        call.emit(event(5));
        closedShards.add(SHARD.shard());

        Fetch next = source.fetch();
        assertThat(next.endOfUnit()).as("record 6, written before the close, is still unread").isFalse();
        source.fetch();
        source.fetch();
        FanOutKinesis.Call again = kinesis.last();
        assertThat(again).isNotSameAs(call);
        again.emit(SubscribeToShardEvent.builder().records(record(6, "b")).millisBehindLatest(0L)
                .childShards(ChildShard.builder().shardId("shardId-000000000001").parentShards(SHARD.shard())
                        .hashKeyRange(HashKeyRange.builder().startingHashKey("0").endingHashKey("1").build()).build())
                .build());
        Fetch last = source.fetch();
        assertThat(data(last)).containsExactly("b");
        assertThat(last.endOfUnit()).isTrue();
    }

    /** Listing the closed shards fails with an unexpected exception: the reader goes on asking for events. */
    @Test
    void aListingOfClosedShardsThatThrowsLeavesTheSubscriptionReading() {
        FanOutShardSource source = new FanOutShardSource(kinesis, new StreamConsumer(kinesis, "s", FanOut.named("app")),
                KinesisSourceConfig.of("s", Position.TRIM_HORIZON), SHARD, Optional.empty(), WHOLE_SPACE,
                new ClosedShards("s", () -> {
                    throw new IllegalStateException("paginator broke");
                }, java.time.Clock.systemUTC(), Runnable::run), WHOLE_BACKOFF);
        source.onRecordsAvailable(wakes::incrementAndGet);
        source.fetch();
        source.fetch();
        FanOutKinesis.Call call = kinesis.last();
        call.emit(event(5));
        assertThat(source.fetch().endOfUnit()).isFalse();
        assertThat(call.requested).as("the next event asked for").isPositive();
    }
}
