package dev.streamfleet.it.worker;

import dev.streamfleet.deploy.localstack.LocalStack;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

import static org.awaitility.Awaitility.await;

/** Kinesis streams on the local emulator for worker tests: created fresh, filled with numbered records. */
public final class TestStreams {

    private TestStreams() {
    }

    public static KinesisClient client(String endpoint, ExecutionInterceptor... interceptors) {
        return KinesisClient.builder()
                .endpointOverride(URI.create(endpoint))
                .region(Region.of(LocalStack.REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .overrideConfiguration(o -> {
                    // As the worker's own client: no SDK retries, the reader backs off by itself.
                    o.retryStrategy(software.amazon.awssdk.awscore.retry.AwsRetryStrategy.doNotRetry());
                    for (ExecutionInterceptor interceptor : interceptors) {
                        o.addExecutionInterceptor(interceptor);
                    }
                })
                .build();
    }

    public static String create(KinesisClient client, String prefix, int shards) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        client.createStream(r -> r.streamName(name).shardCount(shards));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                client.describeStream(r -> r.streamName(name)).streamDescription().streamStatus() == StreamStatus.ACTIVE);
        return name;
    }

    /** Puts records {@code id-<from>} … {@code id-<to - 1>}, each with partition key {@code key-<i % keys>}. */
    public static void put(KinesisClient client, String stream, int from, int to, int keys) {
        for (int start = from; start < to; start += 100) {
            List<PutRecordsRequestEntry> entries = new ArrayList<>();
            for (int i = start; i < Math.min(to, start + 100); i++) {
                entries.add(PutRecordsRequestEntry.builder().partitionKey("key-" + (i % keys))
                        .data(SdkBytes.fromUtf8String("id-" + i)).build());
            }
            PutRecordsResponse response = client.putRecords(r -> r.streamName(stream).records(entries));
            if (response.failedRecordCount() != null && response.failedRecordCount() > 0) {
                throw new IllegalStateException(response.failedRecordCount() + " records were not put");
            }
        }
    }

    /** Splits a shard of an ACTIVE stream in the middle of its hash range and waits until the stream is ACTIVE again. */
    public static void splitInHalf(KinesisClient client, String stream, String shardId) {
        software.amazon.awssdk.services.kinesis.model.Shard shard = client.listShards(r -> r.streamName(stream)).shards()
                .stream().filter(s -> s.shardId().equals(shardId)).findFirst().orElseThrow();
        java.math.BigInteger low = new java.math.BigInteger(shard.hashKeyRange().startingHashKey());
        java.math.BigInteger high = new java.math.BigInteger(shard.hashKeyRange().endingHashKey());
        client.splitShard(r -> r.streamName(stream).shardToSplit(shardId).newStartingHashKey(low.add(high).shiftRight(1).toString()));
        awaitActive(client, stream);
    }

    /** Waits until a stream being resharded is ACTIVE again. */
    public static void awaitActive(KinesisClient client, String stream) {
        await().atMost(java.time.Duration.ofSeconds(30)).pollInterval(java.time.Duration.ofMillis(100)).until(() ->
                client.describeStreamSummary(r -> r.streamName(stream)).streamDescriptionSummary().streamStatus()
                        == software.amazon.awssdk.services.kinesis.model.StreamStatus.ACTIVE);
    }
}
