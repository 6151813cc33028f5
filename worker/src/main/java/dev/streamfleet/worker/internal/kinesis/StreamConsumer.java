package dev.streamfleet.worker.internal.kinesis;

import dev.streamfleet.worker.config.FanOut;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ConsumerDescription;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;

/**
 * The stream consumer that a fan-out reader subscribes as, shared by the shards of one stream.
 * It is looked up when first needed (so a worker starts without waiting for it), registered when
 * missing, and waited for until ACTIVE, polling its status once a second for at most
 * {@link #ACTIVE_WAIT}. A lookup that fails is kept, with its reason, until {@link #retryAfter}
 * has passed; a consumer found deleted or no longer ACTIVE is looked up again.
 */
final class StreamConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(StreamConsumer.class);
    static final Duration ACTIVE_WAIT = Duration.ofMinutes(2);
    private static final Duration STATUS_POLL = Duration.ofSeconds(1);
    private static final Duration RETRY_AFTER = Duration.ofSeconds(5);

    private final KinesisAsyncClient client;
    private final String stream;
    private final FanOut fanOut;
    /** The current lookup; replaced only by compare-and-set, so concurrent shards share one. */
    private final AtomicReference<Lookup> lookup = new AtomicReference<>();

    private record Lookup(CompletableFuture<String> arn, long startedNanos) {
    }

    StreamConsumer(KinesisAsyncClient client, String stream, FanOut fanOut) {
        this.client = client;
        this.stream = stream;
        this.fanOut = fanOut;
    }

    /** The ACTIVE consumer's ARN: done, on its way, or failed with the reason. */
    CompletableFuture<String> arn() {
        while (true) {
            Lookup current = lookup.get();
            if (current != null && !(current.arn().isCompletedExceptionally() && retryDue(current))) {
                return current.arn();
            }
            Lookup next = new Lookup(new CompletableFuture<>(), System.nanoTime());
            if (lookup.compareAndSet(current, next)) {
                resolve().whenComplete((arn, error) -> {
                    if (error != null) {
                        next.arn().completeExceptionally(unwrap(error));
                    } else {
                        next.arn().complete(arn);
                    }
                });
                return next.arn();
            }
        }
    }

    /** The consumer with this ARN is gone or not ACTIVE any more: the next caller looks it up again. */
    void forget(String arn) {
        Lookup current = lookup.get();
        if (current != null && current.arn().isDone() && !current.arn().isCompletedExceptionally()
                && current.arn().join().equals(arn)) {
            lookup.compareAndSet(current, null);
        }
    }

    String describe() {
        return fanOut.describe() + " of stream " + stream;
    }

    private static boolean retryDue(Lookup lookup) {
        return System.nanoTime() - lookup.startedNanos() >= RETRY_AFTER.toNanos();
    }

    private CompletableFuture<String> resolve() {
        if (fanOut.consumerArn().isPresent()) {
            return awaitActive(fanOut.consumerArn().get(), System.nanoTime());
        }
        return client.describeStreamSummary(r -> r.streamName(stream))
                .thenCompose(summary -> byName(summary.streamDescriptionSummary().streamARN()));
    }

    private CompletableFuture<String> byName(String streamArn) {
        long started = System.nanoTime();
        return client.describeStreamConsumer(r -> r.streamARN(streamArn).consumerName(fanOut.consumerName()))
                .thenApply(response -> response.consumerDescription().consumerARN())
                .exceptionallyCompose(error -> {
                    if (!(unwrap(error) instanceof ResourceNotFoundException)) {
                        return CompletableFuture.failedFuture(unwrap(error));
                    }
                    LOG.info("registering stream consumer {} for enhanced fan-out on stream {}", fanOut.consumerName(), stream);
                    return client.registerStreamConsumer(r -> r.streamARN(streamArn).consumerName(fanOut.consumerName()))
                            .thenApply(response -> response.consumer().consumerARN())
                            .exceptionallyCompose(registerError -> unwrap(registerError) instanceof ResourceInUseException
                                    // another worker registered it first
                                    ? client.describeStreamConsumer(r -> r.streamARN(streamArn).consumerName(fanOut.consumerName()))
                                            .thenApply(response -> response.consumerDescription().consumerARN())
                                    : CompletableFuture.failedFuture(unwrap(registerError)));
                })
                .thenCompose(arn -> awaitActive(arn, started));
    }

    private CompletableFuture<String> awaitActive(String arn, long started) {
        return client.describeStreamConsumer(r -> r.consumerARN(arn)).thenCompose(response -> {
            ConsumerDescription consumer = response.consumerDescription();
            if (consumer.consumerStatus() == ConsumerStatus.ACTIVE) {
                return CompletableFuture.completedFuture(consumer.consumerARN());
            }
            if (System.nanoTime() - started > ACTIVE_WAIT.toNanos()) {
                return CompletableFuture.failedFuture(new IllegalStateException("stream consumer " + describe() + " is still "
                        + consumer.consumerStatusAsString() + " after " + ACTIVE_WAIT.toSeconds() + " s"));
            }
            Executor later = CompletableFuture.delayedExecutor(STATUS_POLL.toMillis(), TimeUnit.MILLISECONDS);
            return CompletableFuture.supplyAsync(() -> arn, later).thenCompose(same -> awaitActive(same, started));
        });
    }

    static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
