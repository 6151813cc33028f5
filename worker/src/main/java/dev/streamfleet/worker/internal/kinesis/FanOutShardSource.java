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
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.random.RandomGenerator;

import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StartingPosition;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEventStream;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardRequest;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

/**
 * Reads one shard through enhanced fan-out: a SubscribeToShard subscription pushes events of
 * records, and when it ends (Kinesis ends every one after 5 minutes) the next one starts after
 * the last event's continuation sequence number, so nothing is missed and nothing is read twice.
 *
 * <p>Back-pressure: one event is requested at a time, and the next only when the unit has taken
 * all of this one, so a slow processor holds at most one event in memory and Kinesis waits. An
 * event of KPL aggregates may hold millions of tiny user records; the unit takes them in slices
 * of at most {@link KinesisShardSource#USER_RECORDS_PER_FETCH}, as the polling reader does, so
 * only the event's bytes stay in memory, not a record object for each of them.
 *
 * <p>Threads: the SDK's threads only add {@link Signal}s to a queue and wake the unit; everything
 * else (the subscription, the position, the failures) belongs to the unit's loop, which drains the
 * queue in {@link #fetch}. A failed subscription backs off with jitter and is tried again; its
 * reason is logged in one line.
 */
final class FanOutShardSource implements RecordSource {

    private static final Logger LOG = LoggerFactory.getLogger(FanOutShardSource.class);
    private static final Backoff BACKOFF = new Backoff(Integer.MAX_VALUE, Duration.ofMillis(500), Duration.ofSeconds(10));
    /**
     * Kinesis refuses a SubscribeToShard (ResourceInUseException) within 5 s of the last successful
     * one for the same consumer and shard, and lets one 5 s or more later take the subscription over.
     * Refused at time t, a subscription started before t, so one sent 5 s after t is no longer
     * refused: sooner would only be refused again, later would wait for nothing.
     */
    static final Duration TAKEOVER = Duration.ofSeconds(5);
    /** Spreads the takeover attempts of many units a little. */
    private static final long TAKEOVER_JITTER_MILLIS = 250;
    /** How often a unit whose subscriptions failed asks whether the new one has brought its first event. */
    static final Duration UNTIL_FIRST_EVENT_POLL = Duration.ofMillis(200);
    /** Waiting for the consumer to become ACTIVE, or for a subscription's first event. */
    private static final Duration CONSUMER_POLL = Duration.ofMillis(500);
    /** An idle shard's loop is woken by the next event; this only bounds a missed wake-up. */
    private static final Duration IDLE_WAIT = Duration.ofSeconds(1);

    private final KinesisAsyncClient client;
    private final StreamConsumer consumer;
    private final KinesisSourceConfig config;
    private final UnitId unit;
    private final Optional<Position> resumeAfter;
    private final ShardRanges ranges;
    private final ClosedShards closed;
    private final ShardRecords records;
    private final RandomGenerator jitter;
    /** The only state other threads touch: what the SDK's threads report, in order. */
    private final Queue<Signal> signals = new ConcurrentLinkedQueue<>();
    private Runnable wake = () -> { };
    /** Set by {@link #release} from any thread: no subscription from now on. */
    private volatile boolean released;
    /** The subscription's listener, for {@link #release} to cancel from any thread. */
    private final AtomicReference<Listener> open = new AtomicReference<>();

    // Owned by the unit's loop.
    private int generation;
    private Listener current;
    private Subscription subscription;
    private String consumerArn;
    private String continuation;
    /** The event being taken in slices is the shard's last: the unit ends with its last slice. */
    private boolean endsWithSlices;
    /**
     * The shard was found closed at this subscription generation, by a caught-up event that may
     * have been made before it closed; only a subscription started after that (a later
     * generation) can say that nothing is left. -1 while the shard is not known closed.
     */
    private int closedFoundAt = -1;
    private OptionalLong millisBehind = OptionalLong.empty();
    private Duration backoffFirst;
    private int consecutiveFailures;
    /** The last failure's reason: reported with the backoff, and a changed one is logged at once. */
    private String lastFailure;

    /** What the SDK reports about a subscription, tagged with the subscription's generation. */
    sealed interface Signal {
        int generation();
    }

    record Subscribed(int generation, Subscription subscription) implements Signal {
    }

    /** One event; null for an event type this reader does not know. */
    record Event(int generation, SubscribeToShardEvent event) implements Signal {
    }

    /** The subscription is over: after its 5 minutes (no error) or with an error. */
    record Ended(int generation, Throwable error) implements Signal {
    }

    FanOutShardSource(KinesisAsyncClient client, StreamConsumer consumer, KinesisSourceConfig config, UnitId unit,
                      Optional<Position> resumeAfter, ShardRanges ranges, ClosedShards closed) {
        this(client, consumer, config, unit, resumeAfter, ranges, closed, RandomGenerator.getDefault());
    }

    /** @param jitter where the backoff's jitter comes from */
    FanOutShardSource(KinesisAsyncClient client, StreamConsumer consumer, KinesisSourceConfig config, UnitId unit,
                      Optional<Position> resumeAfter, ShardRanges ranges, ClosedShards closed, RandomGenerator jitter) {
        this.jitter = jitter;
        this.ranges = ranges;
        this.closed = closed;
        this.client = client;
        this.consumer = consumer;
        this.config = config;
        this.unit = unit;
        this.resumeAfter = resumeAfter;
        this.records = new ShardRecords(unit);
    }

    @Override
    public void onRecordsAvailable(Runnable wake) {
        this.wake = wake;
    }

    @Override
    public Fetch fetch() {
        if (released) {
            stopSubscription();
            signals.clear();
            return new Fetch(List.of(), millisBehind, OptionalLong.empty(), false, Optional.empty());
        }
        if (records.hasPending()) {
            return slice();
        }
        SubscribeToShardEvent taken = null;
        boolean tookEvent = false;
        Signal signal;
        while (!tookEvent && (signal = signals.poll()) != null) {
            if (signal.generation() != generation) {
                continue;
            }
            if (signal instanceof Subscribed subscribed) {
                subscription = subscribed.subscription();
                subscription.request(1);
            } else if (signal instanceof Event event) {
                tookEvent = true;
                taken = event.event();
            } else if (signal instanceof Ended ended) {
                ended(ended.error());
            }
        }
        if (tookEvent) {
            return take(taken);
        }
        if (current != null) {
            return waiting();
        }
        if (backoffFirst != null) {
            Fetch failed = Fetch.failed(backoffFirst, lastFailure);
            backoffFirst = null;
            return failed;
        }
        return subscribe();
    }

    private Fetch take(SubscribeToShardEvent event) {
        if (event == null) {
            subscription.request(1);
            return new Fetch(List.of(), millisBehind, OptionalLong.empty(), false, Optional.empty());
        }
        consecutiveFailures = 0;
        records.offer(event.records());
        if (event.millisBehindLatest() != null) {
            millisBehind = OptionalLong.of(event.millisBehindLatest());
        }
        boolean end = event.continuationSequenceNumber() == null || event.hasChildShards() && !event.childShards().isEmpty();
        if (end) {
            LOG.info("{}: shard ended; its children: {}", unit, event.hasChildShards()
                    ? event.childShards().stream().map(ChildShard::shardId).toList() : List.of());
            stopSubscription();
            endsWithSlices = true;
        } else if (caughtUp(event) && closedFoundAt >= 0 && generation > closedFoundAt) {
            // The last event of a closed shard should name its children; one that did not must not keep the unit
            // (and its children) waiting on a subscription that brings nothing more.
            LOG.info("{}: shard ended: it is closed (ListShards gives it an ending sequence number) and a subscription"
                    + " made since has nothing left to read, though no event named its children", unit);
            stopSubscription();
            endsWithSlices = true;
        } else if (caughtUp(event) && closedFoundAt < 0 && closed.isClosed(unit.shard())) {
            // This event may have been made before the shard closed, with records still to come: a subscription
            // started now, after the continuation, shows what is left.
            continuation = event.continuationSequenceNumber();
            LOG.debug("{}: the shard is closed; subscribing again to see whether anything is left", unit);
            stopSubscription();
            closedFoundAt = generation;
        } else {
            continuation = event.continuationSequenceNumber();
        }
        return slice();
    }

    /** Whether an event says the subscription has read all there is now: nothing in it, nothing behind. */
    private static boolean caughtUp(SubscribeToShardEvent event) {
        return event.records().isEmpty() && Long.valueOf(0).equals(event.millisBehindLatest());
    }

    /**
     * The next slice of the event taken; once it is taken whole, the next event is asked for, or the
     * shard ends.
     */
    private Fetch slice() {
        List<StreamRecord> batch = new ArrayList<>();
        records.take(batch, KinesisShardSource.USER_RECORDS_PER_FETCH);
        boolean whole = !records.hasPending();
        if (whole && !endsWithSlices && subscription != null) {
            subscription.request(1);
        }
        return new Fetch(batch, millisBehind, OptionalLong.empty(), whole && endsWithSlices, Optional.empty(),
                Optional.empty(), records.takeDroppedOutsideRange(), records.takeNotRetained());
    }

    private Fetch subscribe() {
        if (!records.knowsRange()) {
            Optional<HashKeyRange> range = ranges.of(unit.shard());
            if (range.isEmpty()) {
                String why = ranges.whyUnknown(unit.shard());
                return Fetch.failed(failed(why, true), why);
            }
            records.range(range.get());
        }
        CompletableFuture<String> arn = consumer.arn();
        if (!arn.isDone()) {
            return Fetch.failed(CONSUMER_POLL);
        }
        if (arn.isCompletedExceptionally()) {
            Throwable error = StreamConsumer.unwrap(arn.handle((ok, e) -> e).join());
            String why = "stream consumer " + consumer.describe() + " is not available: " + reason(error);
            return Fetch.failed(failed(why, false), why);
        }
        consumerArn = arn.join();
        generation++;
        current = new Listener(generation);
        open.set(current);
        SubscribeToShardRequest request = SubscribeToShardRequest.builder().consumerARN(consumerArn)
                .shardId(unit.shard()).startingPosition(startingPosition()).build();
        LOG.debug("{}: subscribing from {}", unit, request.startingPosition());
        Listener listener = current;
        listener.response = client.subscribeToShard(request, SubscribeToShardResponseHandler.builder()
                .onEventStream(events -> events.subscribe(listener))
                .onError(error -> { })
                .build());
        listener.response.whenComplete((done, error) -> listener.ended(error));
        if (released) {
            listener.cancel(); // released while the call was being made
        }
        return waiting();
    }

    /**
     * Nothing to hand out while a subscription is being made or waits for its next event. After a
     * run of failures that is still a failure, until an event arrives: the refusals go on counting
     * (a unit refused for longer than the stall bound is STALLED, with the reason), and the source
     * is asked again shortly, as the event that ends the run does not wake the unit then.
     */
    private Fetch waiting() {
        if (consecutiveFailures > 0) {
            return Fetch.failed(UNTIL_FIRST_EVENT_POLL, lastFailure);
        }
        return new Fetch(List.of(), millisBehind, OptionalLong.empty(), false, Optional.empty());
    }

    /**
     * Where the next subscription starts: after the last continuation; else inside the last record
     * handed out or the checkpoint (AT, dropping what was delivered, which resumes correctly inside
     * a KPL aggregate); else at the configured initial position.
     */
    private StartingPosition startingPosition() {
        if (continuation != null) {
            return StartingPosition.builder().type(ShardIteratorType.AFTER_SEQUENCE_NUMBER).sequenceNumber(continuation).build();
        }
        Position from = records.lastReturned().or(() -> resumeAfter).orElse(config.initialPosition());
        if (from instanceof Position.Sequence sequence) {
            records.skipThrough(sequence);
            return StartingPosition.builder().type(ShardIteratorType.AT_SEQUENCE_NUMBER)
                    .sequenceNumber(sequence.sequenceNumber().toString()).build();
        }
        if (from instanceof Position.AtTimestamp at) {
            return StartingPosition.builder().type(ShardIteratorType.AT_TIMESTAMP).timestamp(at.timestamp()).build();
        }
        if (from instanceof Position.Latest) {
            return StartingPosition.builder().type(ShardIteratorType.LATEST).build();
        }
        return StartingPosition.builder().type(ShardIteratorType.TRIM_HORIZON).build();
    }

    /** The current subscription ended; the next {@link #fetch} subscribes again, after a backoff if it failed. */
    private void ended(Throwable error) {
        current = null;
        subscription = null;
        generation++;
        if (error == null) {
            LOG.debug("{}: subscription ended after its time; renewing after {}", unit, continuation);
            return;
        }
        Throwable cause = StreamConsumer.unwrap(error);
        if (cause instanceof ResourceInUseException && consumerNotActive(reason(cause), consumerArn)) {
            consumer.forget(consumerArn);
            backoffFirst = failed("stream consumer " + consumer.describe() + " is not ACTIVE: " + reason(cause), false);
        } else if (cause instanceof ResourceInUseException) {
            // Another subscription of this consumer to this shard started less than 5 s ago (the last owner's, right
            // after a move), or took this one over.
            String reason = "another subscription of consumer " + consumer.describe() + " holds the shard"
                    + " (ResourceInUseException); taking it over in " + TAKEOVER.toSeconds() + " s, as Kinesis allows";
            failed(reason, true);
            backoffFirst = TAKEOVER.plusMillis(jitter.nextLong(TAKEOVER_JITTER_MILLIS));
        } else if (cause instanceof LimitExceededException) {
            backoffFirst = failed("SubscribeToShard was throttled (LimitExceededException): " + reason(cause), true);
        } else if (cause instanceof ResourceNotFoundException) {
            consumer.forget(consumerArn);
            backoffFirst = failed("the stream, the shard or the consumer " + consumer.describe() + " does not exist: "
                    + reason(cause), false);
        } else {
            backoffFirst = failed("the subscription failed: " + reason(cause), true);
        }
    }

    /**
     * Counts a failure and logs it in one line: an expected one (transient) the first and every
     * tenth time in a row, any other whenever its reason changes or every tenth time.
     */
    private Duration failed(String reason, boolean transientError) {
        consecutiveFailures++;
        boolean changed = !reason.equals(lastFailure);
        lastFailure = reason;
        if (consecutiveFailures % 10 == 0 || (!transientError && changed)) {
            LOG.warn("{}: {} ({} failures in a row)", unit, reason, consecutiveFailures);
        } else if (consecutiveFailures == 1) {
            LOG.info("{}: {}", unit, reason);
        }
        return BACKOFF.delayAfter(consecutiveFailures, jitter);
    }

    /**
     * Whether a ResourceInUseException says that the consumer is not ACTIVE (being created or
     * deleted) rather than that another subscription holds the shard. Kinesis words the latter
     * "Another active subscription exists…"; a stream or consumer whose name contains ACTIVE must
     * not turn it into the former, so the consumer's ARN is not read and any mention of a
     * subscription means the latter.
     */
    static boolean consumerNotActive(String message, String consumerArn) {
        String rest = consumerArn == null ? message : message.replace(consumerArn, "");
        return !rest.toLowerCase(java.util.Locale.ROOT).contains("subscription") && rest.contains("ACTIVE");
    }

    static String reason(Throwable error) {
        if (error instanceof AwsServiceException aws && aws.awsErrorDetails() != null) {
            String message = aws.awsErrorDetails().errorMessage();
            return aws.awsErrorDetails().errorCode() + (message == null ? "" : ": " + message);
        }
        return error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
    }

    private void stopSubscription() {
        open.set(null);
        if (current != null) {
            current.cancel();
        }
        if (subscription != null) {
            subscription.cancel();
        }
        current = null;
        subscription = null;
        generation++;
    }

    @Override
    public Duration nextDelay(Fetch last) {
        return last.records().isEmpty() ? IDLE_WAIT : Duration.ZERO;
    }

    /** Cancels the subscription now, from any thread; the unit's loop stops subscribing. */
    @Override
    public void release() {
        released = true;
        Listener listener = open.get();
        if (listener != null) {
            listener.cancel();
        }
    }

    @Override
    public void close() {
        released = true;
        stopSubscription();
        signals.clear();
    }

    /** Hears one subscription on the SDK's threads and reports to the unit through the queue. */
    private final class Listener implements Subscriber<SubscribeToShardEventStream> {
        private final int generation;
        private final Runnable wakeUnit;
        private volatile boolean cancelled;
        /** The call's result; set by the unit right after the call; cancelled from any thread. */
        private volatile CompletableFuture<Void> response;

        Listener(int generation) {
            this.generation = generation;
            this.wakeUnit = wake;
        }

        /** Ends the call; Kinesis frees the shard for the next subscription once its stream is reset. */
        void cancel() {
            cancelled = true;
            if (response != null) {
                response.cancel(true);
            }
        }

        @Override
        public void onSubscribe(Subscription subscription) {
            if (cancelled) {
                subscription.cancel();
                return;
            }
            report(new Subscribed(generation, subscription));
        }

        @Override
        public void onNext(SubscribeToShardEventStream event) {
            report(new Event(generation, event instanceof SubscribeToShardEvent records ? records : null));
        }

        @Override
        public void onError(Throwable error) {
            // the response future fails too, and reports it once
        }

        @Override
        public void onComplete() {
            // the response future completes too, and reports it once
        }

        void ended(Throwable error) {
            report(new Ended(generation, error));
        }

        private void report(Signal signal) {
            if (!cancelled) {
                signals.add(signal);
                wakeUnit.run();
            }
        }
    }
}
