package dev.streamfleet.it.worker;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.core.async.SdkPublisher;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamConsumerRequest;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamConsumerResponse;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryRequest;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryResponse;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.RegisterStreamConsumerRequest;
import software.amazon.awssdk.services.kinesis.model.RegisterStreamConsumerResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEventStream;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardRequest;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponse;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

/**
 * The fan-out API of kinesis-local with what it lacks or never does, injected at the SDK
 * boundary:
 * <ul>
 *   <li>the event that ends a closed shard with its child shards (kinesis-local keeps pushing
 *       empty events instead): after a shard is seen closed, its next empty event becomes one
 *       without a continuation and with the children from ListShards;</li>
 *   <li>subscriptions that end early ({@link #endAfterEvents}), as Kinesis ends every one after 5 minutes;</li>
 *   <li>refused subscriptions ({@link #refuseEvery}): LimitExceededException and
 *       ResourceInUseException in turn.</li>
 * </ul>
 */
final class FanOutFaults implements KinesisAsyncClient {

    private final KinesisAsyncClient delegate;
    private final KinesisClient kinesis;
    volatile int endAfterEvents;
    volatile int refuseEvery;
    /** Whether a closed shard's end is injected at all; without it the reader must find the end itself. */
    volatile boolean endShards = true;
    final AtomicInteger subscriptions = new AtomicInteger();
    final AtomicInteger refused = new AtomicInteger();
    final AtomicInteger ended = new AtomicInteger();
    final AtomicInteger shardEnds = new AtomicInteger();
    /** Shards seen closed, by consumer ARN and shard. */
    private final Map<String, Boolean> closedSeen = new ConcurrentHashMap<>();

    FanOutFaults(KinesisAsyncClient delegate, KinesisClient kinesis) {
        this.delegate = delegate;
        this.kinesis = kinesis;
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

    /** Passes events on, turning a closed shard's empty event into its end and ending subscriptions early. */
    private final class Cutting implements Subscriber<SubscribeToShardEventStream> {
        private final Subscriber<? super SubscribeToShardEventStream> downstream;
        private final SubscribeToShardRequest request;
        private final SubscribeToShardResponseHandler handler;
        private final CompletableFuture<Void> result;
        private final AtomicBoolean cut;
        private Subscription upstream;
        private int events;

        Cutting(Subscriber<? super SubscribeToShardEventStream> downstream, SubscribeToShardRequest request,
                SubscribeToShardResponseHandler handler, CompletableFuture<Void> result, AtomicBoolean cut) {
            this.downstream = downstream;
            this.request = request;
            this.handler = handler;
            this.result = result;
            this.cut = cut;
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
            SubscribeToShardEventStream event = item instanceof SubscribeToShardEvent records ? atShardEnd(records) : item;
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

        private SubscribeToShardEvent atShardEnd(SubscribeToShardEvent event) {
            if (!event.records().isEmpty() || !endShards) {
                return event;
            }
            String key = request.consumerARN() + " " + request.shardId();
            if (closedSeen.containsKey(key)) {
                shardEnds.incrementAndGet();
                return SubscribeToShardEvent.builder().records(List.of()).millisBehindLatest(0L)
                        .childShards(children(request.shardId(), streamOf(request.consumerARN()))).build();
            }
            String stream = streamOf(request.consumerARN());
            boolean closed = kinesis.listShards(r -> r.streamName(stream)).shards().stream()
                    .anyMatch(s -> s.shardId().equals(request.shardId()) && s.sequenceNumberRange().endingSequenceNumber() != null);
            if (closed) {
                // The next empty event is made after the shard closed, so every record of it was pushed by then.
                closedSeen.put(key, true);
            }
            return event;
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

    private List<ChildShard> children(String shardId, String stream) {
        return kinesis.listShards(r -> r.streamName(stream)).shards().stream()
                .filter(s -> shardId.equals(s.parentShardId()) || shardId.equals(s.adjacentParentShardId()))
                .map(s -> ChildShard.builder().shardId(s.shardId()).parentShards(parents(s)).hashKeyRange(s.hashKeyRange()).build())
                .toList();
    }

    private static List<String> parents(Shard shard) {
        return shard.adjacentParentShardId() == null ? List.of(shard.parentShardId())
                : List.of(shard.parentShardId(), shard.adjacentParentShardId());
    }

    /** arn:aws:kinesis:region:account:stream/NAME/consumer/… → NAME */
    private static String streamOf(String consumerArn) {
        String afterStream = consumerArn.substring(consumerArn.indexOf(":stream/") + ":stream/".length());
        return afterStream.substring(0, afterStream.indexOf('/'));
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
