package dev.streamfleet.it.worker;

import dev.streamfleet.core.Position;
import dev.streamfleet.deploy.localstack.LocalStack;
import dev.streamfleet.worker.RecordSourceFactory;
import dev.streamfleet.worker.internal.runtime.StreamWorker;
import dev.streamfleet.worker.config.FanOut;
import dev.streamfleet.worker.internal.kinesis.FanOutSources;
import dev.streamfleet.worker.internal.kinesis.ClosedShards;
import dev.streamfleet.worker.internal.kinesis.ShardRanges;
import dev.streamfleet.worker.internal.kinesis.KinesisDiscovery;
import dev.streamfleet.worker.internal.kinesis.KinesisSourceConfig;

import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every worker test of {@link KinesisWorkerIT} again, reading through enhanced fan-out
 * (RegisterStreamConsumer, SubscribeToShard) on the local stack, whose SubscribeToShard ends a
 * closed shard with its child shards and hands a shard over after 5 s as Kinesis does (see
 * {@code FanOutRulesIT}). Subscriptions that end early, refusals and a shard end that never
 * comes are injected at the SDK boundary by {@link FanOutFaults}.
 */
class FanOutWorkerIT extends KinesisWorkerIT {

    private static KinesisAsyncClient async;
    private static FanOutFaults faults;

    @BeforeAll
    static void connectAsync() {
        async = KinesisAsyncClient.builder()
                .endpointOverride(URI.create(SERVERS.stack().kinesis().endpoint()))
                .region(Region.of(LocalStack.REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
                .httpClientBuilder(NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP2))
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
        faults = new FanOutFaults(async);
    }

    @AfterAll
    static void disconnectAsync() {
        async.close();
    }

    @Override
    RecordSourceFactory sources(KinesisClient client, String stream, int limit) {
        return new FanOutSources(faults, KinesisSourceConfig.of(stream, Position.TRIM_HORIZON), FanOut.named("streamfleet-it"),
                new ShardRanges(stream, new KinesisDiscovery(client, stream)::hashKeyRanges, java.time.Clock.systemUTC()),
                new ClosedShards(stream, new KinesisDiscovery(client, stream)::closedShards, java.time.Clock.systemUTC(),
                        java.util.concurrent.ForkJoinPool.commonPool()));
    }

    /**
     * The same reshards with no shard-end event at all, as kinesis-local alone sends none: the
     * reader finds each parent's end itself (closed in ListShards, and a subscription made since
     * has nothing left), every record is read once, and the children start.
     */
    @Test
    void aParentWhoseLastEventNamesNoChildrenStillEndsAndItsChildrenAreRead() {
        int takenOutBefore = faults.shardEndsTakenOut.get();
        faults.endShards = false;
        try {
            splitAndMergeUnderLoadProcessEveryParentRecordBeforeAnyChildRecord();
        } finally {
            faults.endShards = true;
        }
        assertThat(faults.shardEndsTakenOut.get()).as("shard-end events taken out").isGreaterThan(takenOutBefore);
    }

    /** Not for fan-out: GetRecords faults; {@link #subscriptionsThatEndEarlyOrAreRefusedCauseNoLossNoGapAndNoReplay} instead. */
    @Override
    void throttlingServerErrorsAndExpiredIteratorsCauseNoLossNoGapAndNoReplay() {
    }

    @Test
    void subscriptionsThatEndEarlyOrAreRefusedCauseNoLossNoGapAndNoReplay() throws InterruptedException {
        String stream = TestStreams.create(kinesis, "renewals", 2);
        CollectingProcessor collector = new CollectingProcessor();
        int renewedBefore = faults.ended.get();
        int refusedBefore = faults.refused.get();
        faults.endAfterEvents = 2;
        faults.refuseEvery = 3;
        int records;
        Set<String> retryingShown = new java.util.TreeSet<>();
        try (StreamWorker worker = startWorker(application(), stream, "w1", kinesis, collector)) {
            // Records keep coming while subscriptions end and are refused, so they straddle every renewal: at least
            // 12 s of them, and on until enough renewals and refusals have happened (how many fit in a second
            // depends on the machine), at most 60 s.
            int seconds = 0;
            while (seconds < 12 || (seconds < 60 && (faults.ended.get() - renewedBefore < 4
                    || faults.refused.get() - refusedBefore < 2))) {
                TestStreams.put(kinesis, stream, seconds * 25, seconds * 25 + 25, 25);
                Thread.sleep(1_000);
                retryingShown.addAll(worker.retrying().values());
                seconds++;
            }
            records = seconds * 25;
            int sent = records;
            await().atMost(Duration.ofSeconds(60)).until(() -> new HashSet<>(collector.data()).containsAll(ids(0, sent)));
        } finally {
            faults.endAfterEvents = 0;
            faults.refuseEvery = 0;
        }

        assertThat(faults.ended.get() - renewedBefore).as("subscriptions ended early and renewed").isGreaterThanOrEqualTo(4);
        assertThat(faults.refused.get() - refusedBefore).as("subscriptions refused").isGreaterThanOrEqualTo(2);
        assertThat(retryingShown).as("what the worker's status showed while a refused unit waited to take its shard over")
                .anySatisfy(reason -> assertThat(reason).contains("ResourceInUseException", "taking it over in 5 s"));
        assertThat(collector.data()).hasSize(records).doesNotHaveDuplicates();
        assertInOrderPerShard(collector.seen());
        assertInProductionOrderPerKey(collector.seen());
    }
}
