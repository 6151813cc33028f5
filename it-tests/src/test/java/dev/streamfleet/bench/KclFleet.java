package dev.streamfleet.bench;

import dev.streamfleet.it.AwsCallRecorder;
import dev.streamfleet.it.Installation;
import dev.streamfleet.it.cli.WorkerProcess;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * KCL 3.5 worker processes ({@code kcl-bench}'s {@code KclWorker}) on one stream, as a contender
 * of the process benchmark: started with the classpath that module's build wrote (named by
 * {@code streamfleet.kcl.classpath}), recording their AWS calls like streamfleet's workers, their
 * records in the same JSON lines. Who holds which shard is read from KCL's lease table.
 */
final class KclFleet implements ProcessBenchmark.Contender {

    private final String label;
    private final String application = "kcl-" + java.util.UUID.randomUUID().toString().substring(0, 8);
    private final String stream;
    private final String kinesisEndpoint;
    private final String dynamoEndpoint;
    private final Optional<Long> idleBetweenReadsMillis;
    private final boolean writeRecords;
    private final Path output;
    private final List<String> jvm;
    private final Map<String, WorkerProcess> processes = new HashMap<>();
    private final Map<String, Path> calls = new HashMap<>();
    private final DynamoDbClient dynamo;

    KclFleet(String label, String stream, String kinesisEndpoint, String dynamoEndpoint, Optional<Long> idleBetweenReadsMillis,
             boolean writeRecords, Path dir, List<String> jvm) throws IOException {
        this.label = label;
        this.stream = stream;
        this.kinesisEndpoint = kinesisEndpoint;
        this.dynamoEndpoint = dynamoEndpoint;
        this.idleBetweenReadsMillis = idleBetweenReadsMillis;
        this.writeRecords = writeRecords;
        this.output = Files.createDirectories(dir.resolve(application));
        this.jvm = jvm;
        this.dynamo = DynamoDbClient.builder().endpointOverride(URI.create(dynamoEndpoint)).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"))).build();
    }

    static String classpath() throws IOException {
        String file = System.getProperty("streamfleet.kcl.classpath");
        if (file == null) {
            throw new IllegalStateException("-Dstreamfleet.kcl.classpath names the KCL worker's classpath file"
                    + " (kcl-bench/target/kcl.classpath, written by mvn package)");
        }
        Path path = Path.of(file);
        Path jar;
        try (var jars = Files.list(path.getParent())) {
            jar = jars.filter(f -> f.getFileName().toString().matches("streamfleet-kcl-bench-.*\\.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no KCL worker jar beside " + path));
        }
        return jar + ":" + Files.readString(path).strip() + ":" + Installation.testExtensions();
    }

    @Override
    public String label() {
        return label;
    }

    @Override
    public long start(String name) throws IOException {
        Path recorded = output.resolve(name + "-aws-calls.txt");
        calls.put(name, recorded);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvm);
        command.addAll(List.of("-Daws.cborEnabled=false", "-cp", classpath(), "dev.streamfleet.kclbench.KclWorker",
                "--stream", stream, "--application", application, "--kinesis", kinesisEndpoint, "--dynamodb", dynamoEndpoint,
                "--worker-id", name, "--output", writeRecords ? output.resolve("records-" + name + ".jsonl").toString() : "none",
                "--progress", output.resolve(name + ".count").toString()));
        idleBetweenReadsMillis.ifPresent(millis -> command.addAll(List.of("--idle-between-reads-ms", Long.toString(millis))));
        long launched = System.currentTimeMillis();
        processes.put(name, WorkerProcess.command(command, output.resolve(name + ".log"),
                Map.of(AwsCallRecorder.VARIABLE, recorded.toString())));
        return launched;
    }

    @Override
    public WorkerProcess process(String name) {
        return processes.get(name);
    }

    @Override
    public String idOf(String name) {
        return name;
    }

    @Override
    public Optional<String> leader() {
        return Optional.empty();
    }

    @Override
    public Path output() {
        return output;
    }

    @Override
    public long dynamoDbCalls(String name, long from, long to) throws IOException {
        return AwsCallRecorder.calls(calls.get(name)).stream()
                .filter(c -> c.action().startsWith("dynamodb:") && c.millis() >= from && c.millis() < to).count();
    }

    @Override
    public Map<String, String> holders() {
        Map<String, String> holders = new HashMap<>();
        try {
            for (Map<String, AttributeValue> lease : dynamo.scan(r -> r.tableName(application)).items()) {
                AttributeValue owner = lease.get("leaseOwner");
                AttributeValue checkpoint = lease.get("checkpoint");
                boolean ended = checkpoint != null && "SHARD_END".equals(checkpoint.s());
                if (owner != null && owner.s() != null && !ended) {
                    holders.put("kinesis/" + stream + "/" + lease.get("leaseKey").s(), owner.s());
                }
            }
        } catch (RuntimeException e) {
            // the table does not exist yet
        }
        return holders;
    }

    @Override
    public long processed(String name) {
        try {
            return Long.parseLong(Files.readString(output.resolve(name + ".count")).strip());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (WorkerProcess process : processes.values()) {
            if (process.isAlive()) {
                process.terminate();
                process.waitFor(java.time.Duration.ofSeconds(40));
            }
        }
        dynamo.close();
    }
}
