package dev.streamfleet.it.localstack;

import dev.streamfleet.deploy.localstack.LocalStack;
import dev.streamfleet.it.LocalStackExtension;
import dev.streamfleet.it.worker.TestStreams;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StartingPosition;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The local stack's SubscribeToShard follows Kinesis's documented rules (API_SubscribeToShard),
 * which kinesis-local alone does not: a closed shard's last event names its children and has no
 * continuation, then the stream completes; a second subscription of one consumer to one shard is
 * refused within 5 s of the first and takes it over 5 s or more later, the first ending with
 * ResourceInUseException. Every event but a shard's last has a continuation to resume after,
 * even before a subscription's first record. Clients are the AWS SDK's async client over HTTP/2,
 * as the worker's.
 */
class FanOutRulesIT {

    @RegisterExtension
    static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withKinesis());

    private static final Duration TAKEOVER_AFTER = Duration.ofSeconds(5);

    private static KinesisClient kinesis;
    /** Two clients, as two workers: one holds a subscription, the other comes for the same shard. */
    private static KinesisAsyncClient owner;
    private static KinesisAsyncClient successor;

    @BeforeAll
    static void connect() {
        String endpoint = SERVERS.stack().kinesis().endpoint();
        kinesis = TestStreams.client(endpoint);
        owner = asyncClient(endpoint);
        successor = asyncClient(endpoint);
    }

    @AfterAll
    static void disconnect() {
        owner.close();
        successor.close();
        kinesis.close();
    }

    private static KinesisAsyncClient asyncClient(String endpoint) {
        return KinesisAsyncClient.builder()
                .endpointOverride(URI.create(endpoint))
                .region(Region.of(LocalStack.REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
                .httpClientBuilder(NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP2))
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
    }

    @Test
    void subscriptionPastTheLastRecordOfASplitShardEndsWithBothChildrenAndNoContinuation() {
        String stream = TestStreams.create(kinesis, "fanout-end", 1);
        TestStreams.put(kinesis, stream, 0, 10, 10);
        String parent = "shardId-000000000000";
        String last = lastSequenceNumber(stream, parent);
        TestStreams.splitInHalf(kinesis, stream, parent);
        List<String> children = kinesis.listShards(r -> r.streamName(stream)).shards().stream()
                .filter(s -> parent.equals(s.parentShardId())).map(Shard::shardId).toList();
        assertThat(children).as("children of the split").hasSize(2);

        Subscribed subscribed = Subscribed.to(owner, consumer(stream), parent, StartingPosition.builder()
                .type(ShardIteratorType.AFTER_SEQUENCE_NUMBER).sequenceNumber(last).build());

        await("the parent's subscription completes").atMost(Duration.ofSeconds(30)).until(subscribed.done::isDone);
        assertThat(subscribed.done).isCompleted();
        SubscribeToShardEvent end = subscribed.events.get(subscribed.events.size() - 1);
        assertThat(end.records()).isEmpty();
        assertThat(end.continuationSequenceNumber()).as("continuation of the shard's last event").isNull();
        assertThat(end.childShards()).extracting(ChildShard::shardId).containsExactlyInAnyOrderElementsOf(children);
        assertThat(end.childShards()).allSatisfy(child -> assertThat(child.parentShards()).containsExactly(parent));
        assertThat(subscribed.events.subList(0, subscribed.events.size() - 1))
                .as("events before the last").allSatisfy(e -> assertThat(e.childShards()).isEmpty());
    }

    @Test
    void secondSubscriptionWithinFiveSecondsOfTheFirstIsRefusedAndTheFirstGoesOn() {
        String stream = TestStreams.create(kinesis, "fanout-refused", 1);
        String consumer = consumer(stream);
        String shard = "shardId-000000000000";
        long firstSubscribedAt = System.nanoTime();
        Subscribed first = Subscribed.to(owner, consumer, shard, trimHorizon());
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> !first.events.isEmpty());

            Subscribed second = Subscribed.to(successor, consumer, shard, trimHorizon());

            assertThat(second.done).failsWithin(Duration.ofSeconds(10)).withThrowableOfType(ExecutionException.class)
                    .havingCause().isInstanceOf(ResourceInUseException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - firstSubscribedAt)).as("refused within 5 s of the first")
                    .isLessThan(TAKEOVER_AFTER);
            TestStreams.put(kinesis, stream, 0, 3, 3);
            await().atMost(Duration.ofSeconds(10)).until(() -> first.records().size() == 3);
            assertThat(first.done).isNotDone();
        } finally {
            first.done.cancel(true);
        }
    }

    @Test
    void subscriptionFiveSecondsAfterTheFirstTakesTheShardOverAndEndsTheFirstWithResourceInUse() {
        String stream = TestStreams.create(kinesis, "fanout-takeover", 1);
        String consumer = consumer(stream);
        String shard = "shardId-000000000000";
        Subscribed first = Subscribed.to(owner, consumer, shard, trimHorizon());
        Subscribed second = null;
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> !first.events.isEmpty());
            long firstEventAt = System.nanoTime();
            await().pollDelay(TAKEOVER_AFTER).atMost(TAKEOVER_AFTER.plusSeconds(1)).until(() ->
                    System.nanoTime() - firstEventAt >= TAKEOVER_AFTER.toNanos());

            second = Subscribed.to(successor, consumer, shard, trimHorizon());

            assertThat(first.done).failsWithin(Duration.ofSeconds(10)).withThrowableOfType(ExecutionException.class)
                    .havingCause().isInstanceOf(ResourceInUseException.class);
            TestStreams.put(kinesis, stream, 0, 3, 3);
            Subscribed taker = second;
            await().atMost(Duration.ofSeconds(10)).until(() -> taker.records().size() == 3);
            assertThat(taker.response).as("initial-response of the subscription that took over").isCompleted();
            assertThat(first.records()).as("records pushed to the subscription taken over").isEmpty();
        } finally {
            first.done.cancel(true);
            if (second != null) {
                second.done.cancel(true);
            }
        }
    }

    @Test
    void idleSubscriptionFromLatestHasAContinuationThatResumesAtTheNextRecord() {
        String stream = TestStreams.create(kinesis, "fanout-latest", 1);
        TestStreams.put(kinesis, stream, 0, 2, 2);
        String shard = "shardId-000000000000";
        Subscribed idle = Subscribed.to(owner, consumer(stream, "idle"), shard,
                StartingPosition.builder().type(ShardIteratorType.LATEST).build());
        Subscribed resumed = null;
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> !idle.events.isEmpty());
            SubscribeToShardEvent empty = idle.events.get(0);
            assertThat(empty.records()).isEmpty();
            assertThat(empty.continuationSequenceNumber()).as("continuation before the first record").isNotNull();

            TestStreams.put(kinesis, stream, 2, 3, 1);
            resumed = Subscribed.to(successor, consumer(stream, "resumed"), shard, StartingPosition.builder()
                    .type(ShardIteratorType.AFTER_SEQUENCE_NUMBER).sequenceNumber(empty.continuationSequenceNumber()).build());

            Subscribed after = resumed;
            await().atMost(Duration.ofSeconds(10)).until(() -> after.records().size() == 1 && idle.records().size() == 1);
            assertThat(after.records()).extracting(r -> r.data().asUtf8String()).containsExactly("id-2");
            assertThat(idle.records()).extracting(r -> r.data().asUtf8String()).containsExactly("id-2");
        } finally {
            idle.done.cancel(true);
            if (resumed != null) {
                resumed.done.cancel(true);
            }
        }
    }

    private static StartingPosition trimHorizon() {
        return StartingPosition.builder().type(ShardIteratorType.TRIM_HORIZON).build();
    }

    private String lastSequenceNumber(String stream, String shard) {
        String iterator = kinesis.getShardIterator(r -> r.streamName(stream).shardId(shard)
                .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
        List<Record> records = kinesis.getRecords(r -> r.shardIterator(iterator).limit(1000)).records();
        assertThat(records).as("records put on " + shard).hasSize(10);
        return records.get(records.size() - 1).sequenceNumber();
    }

    private static String consumer(String stream) {
        return consumer(stream, "rules");
    }

    /** Registers a consumer of the stream and returns its ARN once it is ACTIVE. */
    private static String consumer(String stream, String name) {
        String streamArn = kinesis.describeStreamSummary(r -> r.streamName(stream)).streamDescriptionSummary().streamARN();
        String arn = kinesis.registerStreamConsumer(r -> r.streamARN(streamArn).consumerName(name)).consumer().consumerARN();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                kinesis.describeStreamConsumer(r -> r.consumerARN(arn)).consumerDescription().consumerStatus()
                        == ConsumerStatus.ACTIVE);
        return arn;
    }

    /** One SubscribeToShard call: its events as they arrive, its response, and its end. */
    private record Subscribed(List<SubscribeToShardEvent> events, CompletableFuture<Void> response, CompletableFuture<Void> done) {

        static Subscribed to(KinesisAsyncClient client, String consumer, String shard, StartingPosition start) {
            List<SubscribeToShardEvent> events = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> response = new CompletableFuture<>();
            CompletableFuture<Void> done = client.subscribeToShard(r -> r.consumerARN(consumer).shardId(shard).startingPosition(start),
                    SubscribeToShardResponseHandler.builder()
                            .onResponse(ignored -> response.complete(null))
                            .onError(response::completeExceptionally)
                            .onEventStream(publisher -> publisher.filter(SubscribeToShardEvent.class).subscribe(events::add))
                            .build());
            return new Subscribed(events, response, done);
        }

        List<Record> records() {
            return events.stream().flatMap(e -> e.records().stream()).toList();
        }
    }
}
