package dev.streamfleet.devtools;

import dev.streamfleet.deploy.localstack.LocalStack;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * Streams, topics and a ready fleet configuration on a running local stack, for the demo and for
 * {@code local-stack --stream … --topic … --write-config …}.
 */
final class LocalResources {

    private static final long READY_SECONDS = 30;

    private LocalResources() {
    }

    /** A Kinesis stream or Kafka topic to create, written {@code name} or {@code name:count}. */
    record Named(String name, int count) {

        static Named parse(String text, int defaultCount) {
            int colon = text.lastIndexOf(':');
            String name = colon < 0 ? text : text.substring(0, colon);
            int count;
            try {
                count = colon < 0 ? defaultCount : Integer.parseInt(text.substring(colon + 1));
            } catch (NumberFormatException e) {
                count = 0;
            }
            if (name.isBlank() || !name.matches("[A-Za-z0-9._-]+") || count < 1) {
                throw new IllegalArgumentException("expected NAME or NAME:COUNT (a count of 1 or more), got '" + text + "'");
            }
            return new Named(name, count);
        }
    }

    static KinesisClient kinesis(LocalStack stack) {
        return KinesisClient.builder().endpointOverride(URI.create(stack.kinesis().endpoint()))
                .region(Region.of(LocalStack.REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
                .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
    }

    /** Creates the stream and waits, bounded, until it is ACTIVE. */
    static void createStream(KinesisClient kinesis, Named stream) throws InterruptedException {
        kinesis.createStream(r -> r.streamName(stream.name()).shardCount(stream.count()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_SECONDS);
        while (kinesis.describeStreamSummary(r -> r.streamName(stream.name())).streamDescriptionSummary().streamStatus()
                != StreamStatus.ACTIVE) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("stream " + stream.name() + " did not become ACTIVE within "
                        + READY_SECONDS + " s");
            }
            Thread.sleep(100);
        }
    }

    static void createTopic(LocalStack stack, Named topic) throws InterruptedException {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().endpoint()))) {
            admin.createTopics(List.of(new NewTopic(topic.name(), topic.count(), (short) 1))).all()
                    .get(READY_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create topic " + topic.name() + ": " + e.getMessage(), e);
        }
    }

    /**
     * A fleet configuration for this stack: every stream and topic from the start, checkpoints in
     * the stack's DynamoDB, and each worker's records in {@code records-<worker>.jsonl} in
     * {@code recordsDir}, so that the same file starts any number of workers.
     */
    static String fleetConfig(String application, LocalStack stack, List<Named> streams, List<Named> topics,
                              Path recordsDir, String checkpointInterval) {
        StringBuilder yaml = new StringBuilder();
        yaml.append("# Written by streamfleet for the local stack in ").append(stack.workDir()).append(".\n")
                .append("# Start any number of workers with it: bin/streamfleet worker --config <this file>\n")
                .append("application: ").append(application).append('\n')
                .append("zookeeper:\n")
                .append("  connect: ").append(stack.zookeeper().endpoint()).append('\n')
                .append("  sessionTimeout: 6s\n")
                .append("checkpoints:\n")
                .append("  table: ").append(application).append("-checkpoints\n")
                .append("  region: ").append(LocalStack.REGION).append('\n')
                .append("  endpoint: ").append(stack.dynamodb().endpoint()).append('\n')
                .append("  interval: ").append(checkpointInterval).append('\n')
                .append("sources:\n");
        for (Named stream : streams) {
            yaml.append("  - kinesis:\n")
                    .append("      stream: ").append(stream.name()).append('\n')
                    .append("      region: ").append(LocalStack.REGION).append('\n')
                    .append("      endpoint: ").append(stack.kinesis().endpoint()).append('\n')
                    .append("      initialPosition: TRIM_HORIZON\n");
        }
        for (Named topic : topics) {
            yaml.append("  - kafka:\n")
                    .append("      topic: ").append(topic.name()).append('\n')
                    .append("      bootstrapServers: ").append(stack.kafka().endpoint()).append('\n')
                    .append("      initialPosition: TRIM_HORIZON\n");
        }
        yaml.append("processor:\n")
                .append("  type: jsonl\n")
                .append("  options:\n")
                .append("    path: ").append(recordsDir.resolve("records-{worker}.jsonl")).append('\n');
        return yaml.toString();
    }
}
