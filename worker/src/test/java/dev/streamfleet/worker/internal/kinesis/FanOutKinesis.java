package dev.streamfleet.worker.internal.kinesis;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.core.async.SdkPublisher;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ConsumerDescription;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamConsumerRequest;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamConsumerResponse;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryRequest;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryResponse;
import software.amazon.awssdk.services.kinesis.model.RegisterStreamConsumerRequest;
import software.amazon.awssdk.services.kinesis.model.RegisterStreamConsumerResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEventStream;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardRequest;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponse;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

/**
 * Kinesis's fan-out API as the SDK presents it, driven by the test: each SubscribeToShard call
 * becomes a {@link Call} whose events the test emits (never more than the reader requested),
 * completes after "5 minutes", or fails. Everything runs on the test's thread.
 */
final class FanOutKinesis implements KinesisAsyncClient {

    static final String STREAM_ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/s";
    static final String CONSUMER_ARN = STREAM_ARN + "/consumer/app:1";

    final List<Call> calls = new ArrayList<>();
    boolean consumerRegistered = true;
    int registrations;

    /** One SubscribeToShard call. */
    final class Call implements Subscription {
        final SubscribeToShardRequest request;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        private Subscriber<? super SubscribeToShardEventStream> subscriber;
        long requested;
        boolean cancelled;

        Call(SubscribeToShardRequest request) {
            this.request = request;
        }

        @Override
        public void request(long n) {
            requested += n;
        }

        @Override
        public void cancel() {
            cancelled = true;
        }

        /** Pushes one event; the reader must have asked for it. */
        void emit(SubscribeToShardEvent event) {
            if (requested <= 0) {
                throw new AssertionError("an event was pushed that the reader did not request");
            }
            requested--;
            subscriber.onNext(event);
        }

        void complete() {
            subscriber.onComplete();
            done.complete(null);
        }

        void fail(Throwable error) {
            subscriber.onError(error);
            done.completeExceptionally(error);
        }
    }

    Call last() {
        return calls.get(calls.size() - 1);
    }

    @Override
    public CompletableFuture<Void> subscribeToShard(SubscribeToShardRequest request, SubscribeToShardResponseHandler handler) {
        Call call = new Call(request);
        calls.add(call);
        handler.responseReceived(SubscribeToShardResponse.builder().build());
        handler.onEventStream(SdkPublisher.adapt(subscriber -> {
            call.subscriber = subscriber;
            subscriber.onSubscribe(call);
        }));
        return call.done;
    }

    @Override
    public CompletableFuture<DescribeStreamSummaryResponse> describeStreamSummary(DescribeStreamSummaryRequest request) {
        return CompletableFuture.completedFuture(DescribeStreamSummaryResponse.builder()
                .streamDescriptionSummary(s -> s.streamARN(STREAM_ARN).streamName("s")).build());
    }

    @Override
    public CompletableFuture<DescribeStreamSummaryResponse> describeStreamSummary(
            Consumer<DescribeStreamSummaryRequest.Builder> request) {
        return describeStreamSummary(DescribeStreamSummaryRequest.builder().applyMutation(request).build());
    }

    @Override
    public CompletableFuture<DescribeStreamConsumerResponse> describeStreamConsumer(DescribeStreamConsumerRequest request) {
        if (!consumerRegistered) {
            return CompletableFuture.failedFuture(ResourceNotFoundException.builder().message("no consumer").build());
        }
        return CompletableFuture.completedFuture(DescribeStreamConsumerResponse.builder().consumerDescription(
                ConsumerDescription.builder().consumerARN(CONSUMER_ARN).consumerName("app")
                        .consumerStatus(ConsumerStatus.ACTIVE).streamARN(STREAM_ARN).build()).build());
    }

    @Override
    public CompletableFuture<DescribeStreamConsumerResponse> describeStreamConsumer(
            Consumer<DescribeStreamConsumerRequest.Builder> request) {
        return describeStreamConsumer(DescribeStreamConsumerRequest.builder().applyMutation(request).build());
    }

    @Override
    public CompletableFuture<RegisterStreamConsumerResponse> registerStreamConsumer(RegisterStreamConsumerRequest request) {
        registrations++;
        consumerRegistered = true;
        return CompletableFuture.completedFuture(RegisterStreamConsumerResponse.builder()
                .consumer(c -> c.consumerARN(CONSUMER_ARN).consumerName(request.consumerName())
                        .consumerStatus(ConsumerStatus.CREATING)).build());
    }

    @Override
    public CompletableFuture<RegisterStreamConsumerResponse> registerStreamConsumer(
            Consumer<RegisterStreamConsumerRequest.Builder> request) {
        return registerStreamConsumer(RegisterStreamConsumerRequest.builder().applyMutation(request).build());
    }

    @Override
    public String serviceName() {
        return "kinesis";
    }

    @Override
    public void close() {
    }
}
