package dev.streamfleet.cli;

import dev.streamfleet.coordinator.zk.FleetReader;
import dev.streamfleet.coordinator.zk.FleetSnapshot;
import dev.streamfleet.deploy.localstack.LocalStack;
import dev.streamfleet.deploy.localstack.LocalStackConfig;
import dev.streamfleet.deploy.localstack.OwnSession;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * {@code streamfleet demo}: the local stack, a Kinesis stream and a Kafka topic, a few worker
 * processes and a steady producer, with a progress line every few seconds, until Ctrl-C.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Starts the local stack, a Kinesis stream and a Kafka topic, a fleet of worker processes and a"
                + " steady producer, and prints progress until Ctrl-C, which stops everything it started.")
final class DemoCommand implements Callable<Integer> {

    private static final String STREAM = "demo-orders";
    private static final String TOPIC = "demo-payments";
    private static final String APPLICATION = "demo";

    @Option(names = "--workers", defaultValue = "3", description = "Worker processes to start (default ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--shards", defaultValue = "4", description = "Shards of the Kinesis stream (default ${DEFAULT-VALUE}).")
    int shards;

    @Option(names = "--partitions", defaultValue = "4", description = "Partitions of the Kafka topic (default ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--rate", defaultValue = "50", description = "Records per second, half to each source (default ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--dir", description = "Keep the demo's files here (default: a new directory under java.io.tmpdir).")
    Path dir;

    @Override
    public Integer call() throws Exception {
        if (workers < 1 || shards < 1 || partitions < 1 || rate < 1) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--workers, --shards, --partitions and --rate must be at least 1");
        }
        Path home = dir != null ? dir
                : Path.of(System.getProperty("java.io.tmpdir"), "streamfleet-demo-" + ProcessHandle.current().pid());
        Files.createDirectories(home);
        System.out.println("streamfleet demo: starting the local stack in " + home + " ...");
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            try {
                stopped.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "demo-stop"));
        List<Process> fleet = new ArrayList<>();
        AtomicBoolean producing = new AtomicBoolean(true);
        try (LocalStack stack = LocalStack.start(LocalStackConfig.all(home.resolve("local-stack")));
             KinesisClient kinesis = kinesis(stack)) {
            // Our own hook stops the producer and the workers first, then closes the stack.
            stack.detachShutdownHook();
            createStream(kinesis);
            createTopic(stack);
            Path config = writeConfig(home, stack);
            for (int i = 1; i <= workers; i++) {
                fleet.add(startWorker(home, config, i));
            }
            AtomicLong produced = new AtomicLong();
            Thread producer = new Thread(() -> produce(stack, kinesis, producing, produced), "demo-producer");
            producer.start();
            System.out.println();
            System.out.println("fleet '" + APPLICATION + "': " + workers + " workers reading Kinesis stream " + STREAM + " ("
                    + shards + " shards) and Kafka topic " + TOPIC + " (" + partitions + " partitions), " + rate
                    + " records/s");
            System.out.println("records land in " + home + "/records-<worker>.jsonl; worker logs in " + home + "/worker-<n>.log");
            System.out.println("status page: " + statusPage(stack));
            System.out.println("start another worker in a second terminal and watch the units move:");
            System.out.println("  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local deploy/streamfleet worker --config " + config);
            System.out.println("press Ctrl-C to stop everything");
            System.out.println();
            try (FleetReader reader = FleetReader.connect(stack.zookeeper().endpoint(), Duration.ofSeconds(10))) {
                while (!stop.await(5, TimeUnit.SECONDS)) {
                    System.out.println(progress(reader, home, produced.get(), fleet));
                }
            }
            System.out.println("stopping: the producer, then the workers (handing units over), then the local stack ...");
            producing.set(false);
            producer.join(10_000);
            for (Process worker : fleet) {
                worker.destroy();
            }
            for (Process worker : fleet) {
                if (!worker.waitFor(30, TimeUnit.SECONDS)) {
                    worker.destroyForcibly();
                }
            }
        } finally {
            fleet.forEach(Process::destroyForcibly);
            stopped.countDown();
        }
        return 0;
    }

    private static KinesisClient kinesis(LocalStack stack) {
        return KinesisClient.builder().endpointOverride(java.net.URI.create(stack.kinesis().endpoint()))
                .region(Region.of(LocalStack.REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
                .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
    }

    private void createStream(KinesisClient kinesis) throws InterruptedException {
        kinesis.createStream(r -> r.streamName(STREAM).shardCount(shards));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (kinesis.describeStreamSummary(r -> r.streamName(STREAM)).streamDescriptionSummary().streamStatus()
                != StreamStatus.ACTIVE) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("stream " + STREAM + " did not become ACTIVE within 30 s");
            }
            Thread.sleep(100);
        }
    }

    private void createTopic(LocalStack stack) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().endpoint()))) {
            admin.createTopics(List.of(new NewTopic(TOPIC, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
    }

    private static Path writeConfig(Path home, LocalStack stack) throws IOException {
        String yaml = """
                application: %s
                zookeeper:
                  connect: %s
                  sessionTimeout: 6s
                checkpoints:
                  table: demo-checkpoints
                  region: us-east-1
                  endpoint: %s
                  interval: 2s
                sources:
                  - kinesis:
                      stream: %s
                      region: us-east-1
                      endpoint: %s
                      initialPosition: TRIM_HORIZON
                  - kafka:
                      topic: %s
                      bootstrapServers: %s
                      initialPosition: TRIM_HORIZON
                processor:
                  type: jsonl
                  options:
                    path: %s/records-{worker}.jsonl
                """.formatted(APPLICATION, stack.zookeeper().endpoint(), stack.dynamodb().endpoint(), STREAM,
                stack.kinesis().endpoint(), TOPIC, stack.kafka().endpoint(), home);
        Path config = home.resolve("fleet.yaml");
        Files.writeString(config, yaml);
        return config;
    }

    private static Process startWorker(Path home, Path config, int number) throws IOException {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "worker", "--config", config.toString());
        ProcessBuilder builder = new ProcessBuilder(OwnSession.wrap(command)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("worker-" + number + ".log").toFile()));
        builder.environment().put("AWS_ACCESS_KEY_ID", "local");
        builder.environment().put("AWS_SECRET_ACCESS_KEY", "local");
        return builder.start();
    }

    private void produce(LocalStack stack, KinesisClient kinesis, AtomicBoolean producing, AtomicLong produced) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().endpoint());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> kafka = new KafkaProducer<>(props)) {
            long next = System.nanoTime();
            while (producing.get()) {
                List<PutRecordsRequestEntry> entries = new ArrayList<>();
                for (int i = 0; i < Math.max(1, rate / 2); i++) {
                    long id = produced.incrementAndGet();
                    String body = "{\"id\":" + id + ",\"producedAt\":" + System.currentTimeMillis() + "}";
                    entries.add(PutRecordsRequestEntry.builder().partitionKey("key-" + id % 16)
                            .data(SdkBytes.fromString(body, StandardCharsets.UTF_8)).build());
                    long kafkaId = produced.incrementAndGet();
                    kafka.send(new ProducerRecord<>(TOPIC, "key-" + kafkaId % 16,
                            "{\"id\":" + kafkaId + ",\"producedAt\":" + System.currentTimeMillis() + "}"));
                }
                kinesis.putRecords(r -> r.streamName(STREAM).records(entries));
                next += TimeUnit.SECONDS.toNanos(1);
                long sleep = next - System.nanoTime();
                if (sleep > 0) {
                    TimeUnit.NANOSECONDS.sleep(sleep);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            System.err.println("demo producer stopped: " + e.getMessage());
        }
    }

    /** The leader's page, once a leader is elected (bounded wait). */
    private static String statusPage(LocalStack stack) throws InterruptedException {
        try (FleetReader reader = FleetReader.connect(stack.zookeeper().endpoint(), Duration.ofSeconds(10))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                FleetSnapshot snapshot = reader.read(APPLICATION);
                var url = snapshot.leader().flatMap(id -> snapshot.workers().stream().filter(w -> w.id().equals(id))
                        .map(w -> w.statusUrl()).findFirst());
                if (url.isPresent()) {
                    return url.get() + "/  (any worker's URL redirects there)";
                }
                Thread.sleep(200);
            }
        }
        return "(no leader within 60 s; see the worker logs)";
    }

    private static String progress(FleetReader reader, Path home, long produced, List<Process> fleet) {
        FleetSnapshot snapshot = reader.read(APPLICATION);
        long processed = processedIds(home);
        long alive = fleet.stream().filter(Process::isAlive).count();
        return String.format("produced %d, processed %d, max lag %s, workers %d (%d started here, %d alive), leader %s,"
                        + " generation %d, units leased %d",
                produced, processed, maxLag(snapshot), snapshot.workers().size(), fleet.size(), alive,
                snapshot.leader().map(Object::toString).orElse("none"), snapshot.generation(),
                snapshot.leaseHolders().size());
    }

    /** The largest lag of any unit, from the leader's /api/status: milliseconds behind (Kinesis) or records (Kafka). */
    private static String maxLag(FleetSnapshot snapshot) {
        var url = snapshot.leader().flatMap(id -> snapshot.workers().stream().filter(w -> w.id().equals(id))
                .map(w -> w.statusUrl()).filter(u -> !u.isBlank()).findFirst());
        if (url.isEmpty()) {
            return "?";
        }
        try {
            java.net.http.HttpResponse<String> response = HTTP.send(java.net.http.HttpRequest
                    .newBuilder(java.net.URI.create(url.get() + "/api/status")).timeout(Duration.ofSeconds(2)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            long millis = 0;
            long records = 0;
            for (var unit : JSON.readTree(response.body()).path("units")) {
                millis = Math.max(millis, unit.path("millisBehindLatest").asLong(0));
                records = Math.max(records, unit.path("offsetLag").asLong(0));
            }
            return millis + " ms / " + records + " records";
        } catch (java.io.IOException e) {
            return "?";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }

    private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2)).build();
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** Distinct record ids in the workers' jsonl files; a re-delivered record counts once. */
    private static long processedIds(Path home) {
        Set<String> ids = new HashSet<>();
        try (Stream<Path> files = Files.list(home)) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith("records-")).toList()) {
                for (String line : Files.readAllLines(file)) {
                    int at = line.indexOf("\\\"id\\\":");
                    if (at >= 0) {
                        int end = line.indexOf(',', at);
                        ids.add(line.substring(at + 7, end < 0 ? line.length() : end));
                    }
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return ids.size();
    }
}
