package dev.streamfleet.devtools;

import dev.streamfleet.deploy.localstack.LocalStack;
import dev.streamfleet.deploy.localstack.LocalStackConfig;
import dev.streamfleet.worker.internal.cli.Signals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * {@code streamfleet local-stack}: the local servers on loopback until Ctrl-C; optionally with
 * streams and topics created and a fleet configuration written for them, so that workers can
 * be started against it without editing a file.
 */
@Command(name = "local-stack", mixinStandardHelpOptions = true,
        description = "Starts ZooKeeper, the Kinesis and DynamoDB emulators and a Kafka broker on 127.0.0.1, prints"
                + " their endpoints, optionally creates streams and topics and writes a fleet configuration for them,"
                + " and stops them all on Ctrl-C.")
final class LocalStackCommand implements Callable<Integer> {

    @Option(names = "--ensemble", description = "Run ZooKeeper as a 3-member quorum ensemble.")
    boolean ensemble;

    @Option(names = "--dir", description = "Keep data and logs here (default: a new directory under java.io.tmpdir).")
    Path dir;

    @Option(names = "--stream", paramLabel = "NAME[:SHARDS]",
            description = "Create this Kinesis stream (default 4 shards); repeatable.")
    List<String> streams = new ArrayList<>();

    @Option(names = "--topic", paramLabel = "NAME[:PARTITIONS]",
            description = "Create this Kafka topic (default 4 partitions); repeatable.")
    List<String> topics = new ArrayList<>();

    @Option(names = "--write-config", paramLabel = "FILE",
            description = "Write a fleet configuration for these servers and every stream and topic created to FILE.")
    Path configFile;

    @Option(names = "--application", defaultValue = "local",
            description = "The fleet's name in the written configuration (default ${DEFAULT-VALUE}).")
    String application;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        List<LocalResources.Named> namedStreams = parse(streams, "--stream");
        List<LocalResources.Named> namedTopics = parse(topics, "--topic");
        if (configFile != null && namedStreams.isEmpty() && namedTopics.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--write-config needs at least one --stream or --topic for the fleet to read");
        }
        Path workDir = dir != null ? dir
                : Path.of(System.getProperty("java.io.tmpdir"), "streamfleet-local-stack-" + ProcessHandle.current().pid());
        System.out.println("starting the local stack in " + workDir + " ...");
        CountDownLatch stop = new CountDownLatch(1);
        Signals.onTermination(stop::countDown);
        try (LocalStack stack = LocalStack.start(LocalStackConfig.all(workDir).withZooKeeper(ensemble ? 3 : 1))) {
            for (Map.Entry<String, String> endpoint : stack.endpoints().entrySet()) {
                System.out.printf("%-10s %s%n", endpoint.getKey(), endpoint.getValue());
            }
            System.out.println("region     " + LocalStack.REGION + " (any access key and secret work)");
            System.out.println("zk tick    " + LocalStackConfig.DEFAULT_TICK_MILLIS + " ms (ZooKeeper notices a dead"
                    + " worker within its session timeout plus one tick)");
            try (KinesisClient kinesis = LocalResources.kinesis(stack)) {
                for (LocalResources.Named stream : namedStreams) {
                    LocalResources.createStream(kinesis, stream);
                    System.out.println("stream     " + stream.name() + " (" + stream.count() + " shards)");
                }
            }
            for (LocalResources.Named topic : namedTopics) {
                LocalResources.createTopic(stack, topic);
                System.out.println("topic      " + topic.name() + " (" + topic.count() + " partitions)");
            }
            if (configFile != null) {
                Path config = configFile.toAbsolutePath();
                Path records = config.getParent();
                Files.createDirectories(records);
                Files.writeString(config, LocalResources.fleetConfig(application, stack, namedStreams, namedTopics, records, "5s"));
                System.out.println("config     " + config + " (start workers with: bin/streamfleet worker --config "
                        + config + ")");
            }
            System.out.println("ready; press Ctrl-C to stop");
            stop.await();
        }
        return 0;
    }

    private List<LocalResources.Named> parse(List<String> values, String option) {
        List<LocalResources.Named> named = new ArrayList<>();
        for (String value : values) {
            try {
                named.add(LocalResources.Named.parse(value, 4));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), option + ": " + e.getMessage());
            }
        }
        return named;
    }
}
