package dev.streamfleet.worker.embed;

import dev.streamfleet.core.PublicApi;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClientBuilder;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.KinesisClientBuilder;

/**
 * The Kinesis clients a worker builds for itself when the application gives none: the readers
 * retry and back off on their own, so these clients retry nothing.
 */
@PublicApi
public final class KinesisClients {

    private KinesisClients() {
    }

    /** The client of polling readers. */
    public static KinesisClient polling(String region, Optional<URI> endpoint) {
        return pollingBuilder(region, endpoint).build();
    }

    /**
     * The polling client's builder, for an application that gives the worker its own client (its
     * credentials, proxy or metrics) and keeps the settings the readers rely on.
     */
    public static KinesisClientBuilder pollingBuilder(String region, Optional<URI> endpoint) {
        KinesisClientBuilder builder = KinesisClient.builder()
                .region(Region.of(region))
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(2))
                        .socketTimeout(Duration.ofSeconds(10)))
                // The shard reader backs off by itself, without holding a thread.
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry())
                        .apiCallAttemptTimeout(Duration.ofSeconds(10)));
        endpoint.ifPresent(builder::endpointOverride);
        return builder;
    }

    /**
     * The client of fan-out readers: SubscribeToShard needs HTTP/2, which only the asynchronous
     * client speaks. Like the polling client it retries nothing; the readers back off themselves.
     */
    public static KinesisAsyncClient fanOut(String region, Optional<URI> endpoint) {
        return fanOutBuilder(region, endpoint).build();
    }

    /** The fan-out client's builder, for an application that gives the worker its own client. */
    public static KinesisAsyncClientBuilder fanOutBuilder(String region, Optional<URI> endpoint) {
        KinesisAsyncClientBuilder builder = KinesisAsyncClient.builder()
                .region(Region.of(region))
                .httpClientBuilder(NettyNioAsyncHttpClient.builder()
                        .protocol(Protocol.HTTP2)
                        .connectionTimeout(Duration.ofSeconds(2))
                        // A subscription is quiet between events for up to a few seconds, and lasts 5 minutes.
                        .readTimeout(Duration.ofSeconds(30))
                        .maxConcurrency(Integer.MAX_VALUE))
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()));
        endpoint.ifPresent(builder::endpointOverride);
        return builder;
    }
}
