package dev.streamfleet.it.worker;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.core.async.SdkPublisher;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamConsumerRequest;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamConsumerResponse;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryRequest;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryResponse;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.RegisterStreamConsumerRequest;
import software.amazon.awssdk.services.kinesis.model.RegisterStreamConsumerResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEventStream;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardRequest;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponse;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

/**
 * Faults of the fan-out API injected at the SDK boundary, on top of the local stack's
 * SubscribeToShard (which ends a closed shard with its child shards and hands a shard over after
 * 5 s, as Kinesis does):
 * <ul>
 *   <li>a closed shard's end that never comes ({@link #endShards} off, as on kinesis-local
 *       alone): the event that ends the shard becomes an empty one that resumes where the
 *       subscription stands, so the reader must find the end itself;</li>
 *   <li>subscriptions that end early ({@link #endAfterEvents}), as Kinesis ends every one after 5 minutes;</li>
 *   <li>refused subscriptions ({@link #refuseEvery}): LimitExceededException and
 *       ResourceInUseException in turn.</li>
 * </ul>
 */
final class FanOutFaults implements KinesisAsyncClient {

    private final KinesisAsyncClient delegate;
    volatile int endAfterEvents;
    volatile int refuseEvery;
    /** Whether a closed shard's end reaches the reader; without it the reader must find the end itself. */
    volatile boolean endShards = true;
    final AtomicInteger subscriptions = new AtomicInteger();
    final AtomicInteger refused = new AtomicInteger();
    final AtomicInteger ended = new AtomicInteger();
    /** Shard-end events taken out while {@link #endShards} is off. */
    final AtomicInteger shardEndsTakenOut = new AtomicInteger();

    FanOutFaults(KinesisAsyncClient delegate) {
        this.delegate = delegate;
    }

    @Override
    public CompletableFuture<Void> subscribeToShard(SubscribeToShardRequest request, SubscribeToShardResponseHandler handler) {
        int call = subscriptions.incrementAndGet();
        int every = refuseEvery;
        if (every > 0 && call % every == 0) {
            refused.incrementAndGet();
            RuntimeException error = (call / every) % 2 == 0
                    ? LimitExceededException.builder().message("Rate exceeded for consumer (injected)").build()
                    : ResourceInUseException.builder().message("Another active subscription exists (injected)").build();
            handler.exceptionOccurred(error);
            return CompletableFuture.failedFuture(error);
        }
        CompletableFuture<Void> result = new CompletableFuture<>();
        AtomicBoolean cut = new AtomicBoolean();
        SubscribeToShardResponseHandler wrapped = new SubscribeToShardResponseHandler() {
            @Override
            public void responseReceived(SubscribeToShardResponse response) {
                handler.responseReceived(response);
            }

            @Override
            public void onEventStream(SdkPublisher<SubscribeToShardEventStream> publisher) {
                handler.onEventStream(SdkPublisher.adapt(downstream ->
                        publisher.subscribe(new Cutting(downstream, request, handler, result, cut))));
            }

            @Override
            public void exceptionOccurred(Throwable throwable) {
                if (!cut.get()) {
                    handler.exceptionOccurred(throwable);
                }
            }

            @Override
            public void complete() {
                if (!cut.get()) {
                    handler.complete();
                }
            }
        };
        CompletableFuture<Void> upstream = delegate.subscribeToShard(request, wrapped);
        upstream.whenComplete((done, error) -> {
            if (cut.get()) {
                return;
            }
            if (error != null) {
                result.completeExceptionally(error);
            } else {
                result.complete(null);
            }
        });
        result.whenComplete((done, error) -> {
            if (result.isCancelled()) {
                upstream.cancel(true);
            }
        });
        return result;
    }

    /** Passes events on, taking a shard's end out if asked and ending subscriptions early. */
    private final class Cutting implements Subscriber<SubscribeToShardEventStream> {
        private final Subscriber<? super SubscribeToShardEventStream> downstream;
        private final SubscribeToShardRequest request;
        private final SubscribeToShardResponseHandler handler;
        private final CompletableFuture<Void> result;
        private final AtomicBoolean cut;
        private Subscription upstream;
        private int events;
        /** Where the subscription stands: its last continuation, or where it started. */
        private String continuation;

        Cutting(Subscriber<? super SubscribeToShardEventStream> downstream, SubscribeToShardRequest request,
                SubscribeToShardResponseHandler handler, CompletableFuture<Void> result, AtomicBoolean cut) {
            this.downstream = downstream;
            this.request = request;
            this.handler = handler;
            this.result = result;
            this.cut = cut;
            this.continuation = request.startingPosition().sequenceNumber();
        }

        @Override
        public void onSubscribe(Subscription subscription) {
            upstream = subscription;
            downstream.onSubscribe(subscription);
        }

        @Override
        public void onNext(SubscribeToShardEventStream item) {
            if (cut.get()) {
                return;
            }
            SubscribeToShardEventStream event = item instanceof SubscribeToShardEvent records ? withoutShardEnd(records) : item;
            downstream.onNext(event);
            events++;
            int endAfter = endAfterEvents;
            if (endAfter > 0 && events >= endAfter && event instanceof SubscribeToShardEvent e
                    && e.continuationSequenceNumber() != null && cut.compareAndSet(false, true)) {
                ended.incrementAndGet();
                upstream.cancel();
                downstream.onComplete();
                handler.complete();
                result.complete(null);
            }
        }

        /**
         * With {@link #endShards} off, a shard's end becomes an empty event (its records kept) that
         * resumes after the last record pushed; the local stack then completes the stream.
         */
        private SubscribeToShardEvent withoutShardEnd(SubscribeToShardEvent event) {
            if (!event.records().isEmpty()) {
                continuation = event.records().get(event.records().size() - 1).sequenceNumber();
            }
            boolean end = event.continuationSequenceNumber() == null || event.hasChildShards() && !event.childShards().isEmpty();
            if (!end) {
                continuation = event.continuationSequenceNumber();
                return event;
            }
            if (endShards || continuation == null) {
                return event;
            }
            shardEndsTakenOut.incrementAndGet();
            return SubscribeToShardEvent.builder().records(event.records()).millisBehindLatest(event.millisBehindLatest())
                    .continuationSequenceNumber(continuation).build();
        }

        @Override
        public void onError(Throwable throwable) {
            if (!cut.get()) {
                downstream.onError(throwable);
            }
        }

        @Override
        public void onComplete() {
            if (!cut.get()) {
                downstream.onComplete();
            }
        }
    }

    @Override
    public CompletableFuture<DescribeStreamSummaryResponse> describeStreamSummary(DescribeStreamSummaryRequest request) {
        return delegate.describeStreamSummary(request);
    }

    @Override
    public CompletableFuture<DescribeStreamSummaryResponse> describeStreamSummary(
            Consumer<DescribeStreamSummaryRequest.Builder> request) {
        return delegate.describeStreamSummary(request);
    }

    @Override
    public CompletableFuture<DescribeStreamConsumerResponse> describeStreamConsumer(DescribeStreamConsumerRequest request) {
        return delegate.describeStreamConsumer(request);
    }

    @Override
    public CompletableFuture<DescribeStreamConsumerResponse> describeStreamConsumer(
            Consumer<DescribeStreamConsumerRequest.Builder> request) {
        return delegate.describeStreamConsumer(request);
    }

    @Override
    public CompletableFuture<RegisterStreamConsumerResponse> registerStreamConsumer(RegisterStreamConsumerRequest request) {
        return delegate.registerStreamConsumer(request);
    }

    @Override
    public CompletableFuture<RegisterStreamConsumerResponse> registerStreamConsumer(
            Consumer<RegisterStreamConsumerRequest.Builder> request) {
        return delegate.registerStreamConsumer(request);
    }

    @Override
    public String serviceName() {
        return delegate.serviceName();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
