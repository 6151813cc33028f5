package dev.streamfleet.it.localstack;

import dev.streamfleet.deploy.localstack.LocalStack;
import dev.streamfleet.deploy.localstack.NodeEmulator;
import dev.streamfleet.it.LocalStackExtension;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** kinesis-local answers the real AWS SDK on loopback, and is killed and restarted by its own pid. */
class KinesisEmulatorIT {

    @RegisterExtension
    static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withKinesis());

    static KinesisClient client(String endpoint) {
        return KinesisClient.builder()
                .endpointOverride(URI.create(endpoint))
                .region(Region.of(LocalStack.REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build();
    }

    @Test
    void recordsPutIntoAStreamAreReadBackFromItsShards() {
        NodeEmulator kinesis = SERVERS.stack().kinesis();
        try (KinesisClient client = client(kinesis.endpoint())) {
            client.createStream(r -> r.streamName("smoke").shardCount(2));
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    client.describeStreamSummary(r -> r.streamName("smoke")).streamDescriptionSummary().streamStatus()
                            == StreamStatus.ACTIVE);
            for (int i = 0; i < 20; i++) {
                String id = "record-" + i;
                client.putRecord(r -> r.streamName("smoke").partitionKey(id).data(SdkBytes.fromUtf8String(id)));
            }

            List<String> read = new ArrayList<>();
            client.listShards(r -> r.streamName("smoke")).shards().forEach(shard -> {
                String iterator = client.getShardIterator(r -> r.streamName("smoke").shardId(shard.shardId())
                        .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
                GetRecordsResponse page = client.getRecords(r -> r.shardIterator(iterator).limit(1000));
                page.records().stream().map(Record::data).map(SdkBytes::asUtf8String).forEach(read::add);
            });

            assertThat(read).hasSize(20).doesNotHaveDuplicates().allMatch(s -> s.startsWith("record-"));
        }
    }

    @Test
    void killedEmulatorIsGoneByItsPidAndRestartsOnTheSameEndpoint() {
        NodeEmulator kinesis = SERVERS.stack().kinesis();
        String endpoint = kinesis.endpoint();
        long pid = kinesis.pid();

        kinesis.kill();

        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        kinesis.start();
        assertThat(kinesis.endpoint()).isEqualTo(endpoint);
        try (KinesisClient client = client(endpoint)) {
            assertThat(client.listStreams().streamNames()).isNotNull();
        }
    }
}
