package dev.streamfleet.kclbench;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatch.CloudWatchAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.kinesis.common.ConfigsBuilder;
import software.amazon.kinesis.common.InitialPositionInStream;
import software.amazon.kinesis.common.InitialPositionInStreamExtended;
import software.amazon.kinesis.coordinator.CoordinatorConfig;
import software.amazon.kinesis.coordinator.Scheduler;
import software.amazon.kinesis.leases.LeaseManagementConfig;
import software.amazon.kinesis.metrics.MetricsLevel;
import software.amazon.kinesis.retrieval.polling.PollingConfig;

/**
 * A KCL 3.5 worker as its documentation sets one up (ConfigsBuilder, a Scheduler, polling
 * retrieval), for the benchmarks beside streamfleet on the same emulators:
 *
 * <pre>
 * KclWorker --stream S --application A --kinesis URL --dynamodb URL --worker-id W
 *           --output records.jsonl|none --progress count.txt [--idle-between-reads-ms N]
 * </pre>
 *
 * What differs from KCL's defaults, and why: the clients point at the emulators with fixed
 * credentials; the Kinesis client speaks HTTP/1.1 (kinesalite has no HTTP/2); CloudWatch metrics
 * are off (no CloudWatch here); the tables are PROVISIONED and the lease table is created with its
 * index up front, because dynalite cannot add an index to an existing table. The processor
 * checkpoints at most every 5 s, like streamfleet's default. SIGTERM shuts down gracefully.
 */
public final class KclWorker {

    private KclWorker() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        String stream = required(options, "stream");
        String application = required(options, "application");
        String workerId = required(options, "worker-id");
        StaticCredentialsProvider credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"));
        KinesisAsyncClient kinesis = KinesisAsyncClient.builder()
                .endpointOverride(URI.create(required(options, "kinesis"))).region(Region.US_EAST_1)
                .credentialsProvider(credentials)
                .httpClientBuilder(NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP1_1).maxConcurrency(100))
                .build();
        DynamoDbAsyncClient dynamo = DynamoDbAsyncClient.builder()
                .endpointOverride(URI.create(required(options, "dynamodb"))).region(Region.US_EAST_1)
                .credentialsProvider(credentials).build();
        CloudWatchAsyncClient cloudWatch = CloudWatchAsyncClient.builder()
                .endpointOverride(URI.create("http://127.0.0.1:9")).region(Region.US_EAST_1)
                .credentialsProvider(credentials).build();
        LeaseTable.createWithIndex(dynamo, application);

        String output = required(options, "output");
        Progress progress = Progress.writingTo(Path.of(required(options, "progress")));
        RecordLines lines = output.equals("none") ? RecordLines.none() : RecordLines.to(Path.of(output));
        ConfigsBuilder configs = new ConfigsBuilder(stream, application, kinesis, dynamo, cloudWatch, workerId,
                () -> new JsonLinesProcessor(stream, workerId, lines, progress, Duration.ofSeconds(5)));

        PollingConfig polling = new PollingConfig(stream, kinesis);
        if (options.containsKey("idle-between-reads-ms")) {
            polling.idleTimeBetweenReadsInMillis(Long.parseLong(options.get("idle-between-reads-ms")));
        }
        LeaseManagementConfig leases = configs.leaseManagementConfig().billingMode(BillingMode.PROVISIONED)
                .initialLeaseTableReadCapacity(1000).initialLeaseTableWriteCapacity(1000);
        leases.workerUtilizationAwareAssignmentConfig().workerMetricsTableConfig().billingMode(BillingMode.PROVISIONED)
                .readCapacity(1000).writeCapacity(1000);
        CoordinatorConfig coordinator = configs.coordinatorConfig();
        coordinator.coordinatorStateTableConfig().billingMode(BillingMode.PROVISIONED).readCapacity(1000).writeCapacity(1000);
        Scheduler scheduler = new Scheduler(configs.checkpointConfig(), coordinator, leases, configs.lifecycleConfig(),
                configs.metricsConfig().metricsLevel(MetricsLevel.NONE), configs.processorConfig(),
                configs.retrievalConfig().retrievalSpecificConfig(polling).initialPositionInStreamExtended(
                        InitialPositionInStreamExtended.newInitialPosition(InitialPositionInStream.TRIM_HORIZON)));

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                scheduler.startGracefulShutdown().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("graceful shutdown: " + e);
            }
            lines.close();
            progress.close();
        }, "kcl-shutdown"));
        scheduler.run();
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --name value pairs, got " + args[i]);
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        return options;
    }

    private static String required(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return value;
    }
}
