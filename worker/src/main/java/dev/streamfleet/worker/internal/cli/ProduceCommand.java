package dev.streamfleet.worker.internal.cli;

import dev.streamfleet.worker.config.ConfigException;
import dev.streamfleet.worker.config.FleetConfig;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;

/**
 * {@code streamfleet produce}: a load generator. Every record is a JSON object with a unique id
 * ({@code <run>-<n>}) and the time it was produced, so that loss, duplicates and latency can be
 * checked downstream.
 */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = "Writes records with unique ids and timestamps to a configured Kinesis stream or Kafka topic, at a"
                + " rate, until --count records or SIGTERM/Ctrl-C.")
public final class ProduceCommand implements Callable<Integer> {

    private static final long TICKS_PER_SECOND = 10;

    @Mixin
    ConfigOptions options = new ConfigOptions();

    @Option(names = "--source", description = "The stream or topic to write to (default: the first configured source).")
    String source;

    @Option(names = "--rate", defaultValue = "100", description = "Records per second (default ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--count", defaultValue = "0", description = "Stop after this many records (default: until stopped).")
    long count;

    @Override
    public Integer call() throws Exception {
        if (rate < 1 || count < 0) {
            throw new ConfigException("--rate must be at least 1 and --count at least 0");
        }
        FleetConfig fleet = options.load();
        FleetConfig.Source target = fleet.sources().stream()
                .filter(s -> source == null || s.name().equals(source)).findFirst()
                .orElseThrow(() -> new ConfigException("--source " + source + ": not a configured stream or topic"));
        String run = UUID.randomUUID().toString().substring(0, 8);
        CountDownLatch stop = new CountDownLatch(1);
        Signals.onTermination(stop::countDown);
        AtomicLong produced = new AtomicLong();
        try (Sink sink = target instanceof FleetConfig.Kinesis kinesis ? new KinesisSink(kinesis) : new KafkaSink((FleetConfig.Kafka) target)) {
            long started = System.nanoTime();
            long lastReport = started;
            long tick = 0;
            while (count == 0 || produced.get() < count) {
                long due = rate * (tick + 1) / TICKS_PER_SECOND - rate * tick / TICKS_PER_SECOND;
                long batch = count == 0 ? due : Math.min(due, count - produced.get());
                List<String[]> records = new ArrayList<>();
                for (long i = 0; i < batch; i++) {
                    long n = produced.incrementAndGet();
                    records.add(new String[] {"key-" + (n % 64),
                            "{\"id\":\"" + run + "-" + n + "\",\"producedAt\":" + System.currentTimeMillis() + "}"});
                }
                sink.send(records);
                tick++;
                long next = started + TimeUnit.SECONDS.toNanos(1) * tick / TICKS_PER_SECOND;
                if (stop.await(Math.max(0, next - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    break;
                }
                if (System.nanoTime() - lastReport >= TimeUnit.SECONDS.toNanos(5)) {
                    lastReport = System.nanoTime();
                    System.out.printf("produced %d records to %s%n", produced.get(), target.name());
                }
            }
        }
        System.out.printf("produced %d records to %s, ids %s-1 to %s-%d%n", produced.get(), target.name(), run, run,
                produced.get());
        return 0;
    }

    /** Where records go; {@link #send} returns only when every record was accepted. */
    private interface Sink extends AutoCloseable {
        void send(List<String[]> keyAndData) throws Exception;

        @Override
        void close();
    }

    private static final class KinesisSink implements Sink {
        private final KinesisClient client;
        private final String stream;

        KinesisSink(FleetConfig.Kinesis config) {
            this.client = dev.streamfleet.worker.embed.KinesisClients.polling(config.region(), config.endpoint());
            this.stream = config.stream();
        }

        @Override
        public void send(List<String[]> keyAndData) throws InterruptedException {
            List<PutRecordsRequestEntry> pending = new ArrayList<>();
            for (String[] record : keyAndData) {
                pending.add(PutRecordsRequestEntry.builder().partitionKey(record[0])
                        .data(SdkBytes.fromString(record[1], StandardCharsets.UTF_8)).build());
            }
            for (int attempt = 1; !pending.isEmpty(); attempt++) {
                List<PutRecordsRequestEntry> batch = pending;
                PutRecordsResponse response = client.putRecords(r -> r.streamName(stream).records(batch));
                List<PutRecordsRequestEntry> failed = new ArrayList<>();
                List<PutRecordsResultEntry> results = response.records();
                for (int i = 0; i < results.size(); i++) {
                    if (results.get(i).errorCode() != null) {
                        failed.add(batch.get(i));
                    }
                }
                if (!failed.isEmpty() && attempt >= 10) {
                    throw new IllegalStateException(failed.size() + " records were refused by stream " + stream
                            + " ten times; last error: " + results.stream().filter(r -> r.errorCode() != null)
                            .findFirst().map(PutRecordsResultEntry::errorMessage).orElse("?"));
                }
                pending = failed;
                if (!failed.isEmpty()) {
                    Thread.sleep(100L * attempt);
                }
            }
        }

        @Override
        public void close() {
            client.close();
        }
    }

    private static final class KafkaSink implements Sink {
        private final KafkaProducer<String, String> producer;
        private final String topic;
        private final AtomicReference<Exception> failure = new AtomicReference<>();

        KafkaSink(FleetConfig.Kafka config) {
            Properties props = new Properties();
            props.putAll(config.properties());
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
            props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            this.producer = new KafkaProducer<>(props);
            this.topic = config.topic();
        }

        @Override
        public void send(List<String[]> keyAndData) throws Exception {
            for (String[] record : keyAndData) {
                producer.send(new ProducerRecord<>(topic, record[0], record[1]), (metadata, error) -> {
                    if (error != null) {
                        failure.compareAndSet(null, error);
                    }
                });
            }
            Exception error = failure.get();
            if (error != null) {
                throw new IllegalStateException("Kafka refused a record for topic " + topic + ": " + error.getMessage());
            }
        }

        @Override
        public void close() {
            producer.flush();
            producer.close();
            if (failure.get() != null) {
                throw new IllegalStateException("Kafka refused a record for topic " + topic + ": " + failure.get().getMessage());
            }
        }
    }
}
