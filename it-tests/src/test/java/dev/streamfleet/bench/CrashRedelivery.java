package dev.streamfleet.bench;

import dev.streamfleet.core.Position;
import dev.streamfleet.core.PositionCodec;
import dev.streamfleet.deploy.localstack.LocalStack;
import dev.streamfleet.it.Installation;
import dev.streamfleet.it.cli.WorkerProcess;
import dev.streamfleet.it.faults.SlowJsonlProcessors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What a kill -9 costs in records processed twice: a worker process of the archive drains a
 * backlog on one Kafka partition, with 20 ms of waiting per record, until it is killed; a second
 * worker takes the partition over from the last checkpoint and drains the rest. Every record's
 * deliveries are read back from the two workers' JSON-lines files.
 */
final class CrashRedelivery {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(4);
    static final int WORK_PER_RECORD_MS = 20;

    /**
     * One crash and its cost.
     *
     * @param before    records the killed worker processed
     * @param again     of those, the records the next owner delivered again
     * @param skipped   records the killed worker finished beyond the checkpoint's watermark that
     *                  the next owner did not deliver again, because the checkpoint listed them
     * @param perSecond the killed worker's rate
     */
    record Outcome(int before, int again, int skipped, double perSecond) {

        /** The re-delivered records as seconds of the killed worker's work. */
        double secondsOfWork() {
            return again / perSecond;
        }
    }

    private final LocalStack stack;
    private final Path dir;

    CrashRedelivery(LocalStack stack, Path dir) {
        this.stack = stack;
        this.dir = dir;
    }

    /**
     * Produces {@code records} over 1,000 keys, runs a worker at {@code parallelism} until
     * {@code killAfter} past its first record, kills it, and drains the rest with a second worker.
     */
    Outcome run(int parallelism, int records, Duration killAfter) throws Exception {
        String topic = WorkerBenchmark.topic(stack, 1);
        ParallelBenchmark.produce(stack, topic, 1_000, records);
        Path run = Files.createDirectories(dir.resolve(topic));
        Path config = run.resolve("fleet.yaml");
        Files.writeString(config, """
                application: %s
                zookeeper:
                  connect: %s
                  sessionTimeout: %ds
                checkpoints:
                  table: bench-checkpoints
                  region: us-east-1
                  endpoint: %s
                sources:
                  - kafka:
                      topic: %s
                      bootstrapServers: %s
                      initialPosition: TRIM_HORIZON
                processor:
                  type: %s
                processing:
                  parallelism: %d
                  maxInFlight: %d
                """.formatted(topic, stack.zookeeper().endpoint(), SESSION_TIMEOUT.toSeconds(), stack.dynamodb().endpoint(),
                topic, stack.kafka().endpoint(), SlowJsonlProcessors.class.getName(), parallelism,
                Math.max(1_000, 4 * parallelism)));
        Map<String, String> env = Map.of("STREAMFLEET_CLASSPATH", Installation.testExtensions().toString(),
                "STREAMFLEET_TEST_JSONL", run.resolve("records-{worker}.jsonl").toString(),
                "STREAMFLEET_TEST_WORK_PER_RECORD_MS", Integer.toString(WORK_PER_RECORD_MS));
        WorkerProcess first = WorkerProcess.start(List.of("-Xmx512m"), run.resolve("first.log"), env, "worker", "--config",
                config.toString());
        long firstRecord;
        Path firstFile;
        long killed;
        try {
            WorkerBenchmark.await(() -> !jsonlFiles(run).isEmpty() && size(jsonlFiles(run).get(0)) > 0, Duration.ofSeconds(60),
                    () -> "the first worker processed nothing:\n" + first.output());
            firstRecord = System.nanoTime();
            firstFile = jsonlFiles(run).get(0);
            Thread.sleep(killAfter.toMillis());
            killed = System.nanoTime();
            first.kill();
            first.waitFor(Duration.ofSeconds(30));
        } finally {
            first.close();
        }
        Set<Long> beforeKill = offsets(firstFile);
        try (WorkerProcess second = WorkerProcess.start(List.of("-Xmx512m"), run.resolve("second.log"), env, "worker",
                "--config", config.toString())) {
            awaitAll(run, records, second);
            second.terminate();
            second.waitFor(Duration.ofSeconds(60));
        }
        Set<Long> afterKill = new HashSet<>();
        for (Path file : jsonlFiles(run)) {
            if (!file.equals(firstFile)) {
                afterKill.addAll(offsets(file));
            }
        }
        long watermark = afterKill.stream().mapToLong(Long::longValue).min().orElseThrow();
        int again = 0;
        int skipped = 0;
        for (long offset : beforeKill) {
            if (afterKill.contains(offset)) {
                again++;
            } else if (offset >= watermark) {
                skipped++;
            }
        }
        return new Outcome(beforeKill.size(), again, skipped, beforeKill.size() / ((killed - firstRecord) / 1e9));
    }

    /** Polls twice a second, first counting lines (cheap), then the distinct records. */
    private static void awaitAll(Path run, int records, WorkerProcess second) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (lines(run) < records || distinct(run).size() < records) {
            if (System.nanoTime() > deadline || !second.isAlive()) {
                throw new IllegalStateException(distinct(run).size() + " of " + records + " processed:\n" + second.output());
            }
            Thread.sleep(500);
        }
    }

    private static long lines(Path run) {
        long lines = 0;
        for (Path file : jsonlFiles(run)) {
            try (Stream<String> text = Files.lines(file)) {
                lines += text.count();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return lines;
    }

    private static List<Path> jsonlFiles(Path run) {
        try (Stream<Path> files = Files.list(run)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".jsonl")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    private static Set<Long> distinct(Path run) {
        Set<Long> all = new HashSet<>();
        jsonlFiles(run).forEach(file -> all.addAll(offsets(file)));
        return all;
    }

    /** The Kafka offsets of the records in one worker's file (a torn last line is skipped). */
    private static Set<Long> offsets(Path file) {
        Set<Long> offsets = new HashSet<>();
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.endsWith("}")) {
                    JsonNode node = JSON.readTree(line);
                    Position.Offset next = (Position.Offset) PositionCodec.decode(node.get("position").asText());
                    offsets.add(next.nextOffset() - 1);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return offsets;
    }
}
