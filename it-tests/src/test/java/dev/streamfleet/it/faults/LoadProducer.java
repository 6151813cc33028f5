package dev.streamfleet.it.faults;

import dev.streamfleet.it.worker.TestStreams;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;

/**
 * A steady load on one Kinesis stream and one Kafka topic: every 100 ms a batch to each, with
 * ids {@code k-<n>} and {@code f-<n>} and partition keys {@code key-<n % 16>}. A record counts as
 * produced once the service acknowledged it; a batch that fails is sent again before the next,
 * so that per key the production order is the order of the ids. One thread owns the loop.
 */
final class LoadProducer implements AutoCloseable {

    static final int KEYS = 16;

    /** One acknowledged record. */
    record Produced(String id, String key, String source) {
    }

    private final KinesisClient kinesis;
    private final String stream;
    private final KafkaProducer<String, String> kafka;
    private final String topic;
    private final int perTick;
    private final List<Produced> produced = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicBoolean kinesisPaused = new AtomicBoolean(false);
    private final Thread thread;
    private final List<String> problems = new ArrayList<>();
    private final AtomicBoolean started = new AtomicBoolean(false);
    private volatile long startedNanos;
    private long stoppedNanos;
    private long nextKinesis;
    private long nextKafka;

    LoadProducer(String kinesisEndpoint, String stream, String bootstrap, String topic, int recordsPerSecondEach) {
        this(kinesisEndpoint, stream, bootstrap, topic, recordsPerSecondEach, true);
    }

    /**
     * @param startNow false: nothing is produced until {@link #start()}, for a fleet that must be
     *                 reading every unit first (initial position LATEST skips what came before)
     */
    LoadProducer(String kinesisEndpoint, String stream, String bootstrap, String topic, int recordsPerSecondEach,
                 boolean startNow) {
        this.kinesis = TestStreams.client(kinesisEndpoint);
        this.stream = stream;
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        this.kafka = new KafkaProducer<>(props);
        this.topic = topic;
        this.perTick = Math.max(1, recordsPerSecondEach / 10);
        this.thread = new Thread(this::run, "load-producer");
        thread.setDaemon(true);
        if (startNow) {
            start();
        }
    }

    /** Starts producing; the load's time runs from here. Called again, it does nothing. */
    void start() {
        if (started.compareAndSet(false, true)) {
            startedNanos = System.nanoTime();
            thread.start();
        }
    }

    private void run() {
        long next = System.nanoTime();
        while (running.get()) {
            if (!kinesisPaused.get()) {
                sendKinesis();
            }
            sendKafka();
            next += Duration.ofMillis(100).toNanos();
            long wait = next - System.nanoTime();
            if (wait > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(wait);
            } else {
                next = System.nanoTime();
            }
        }
    }

    private void sendKinesis() {
        List<PutRecordsRequestEntry> entries = new ArrayList<>();
        List<Produced> batch = new ArrayList<>();
        for (int i = 0; i < perTick; i++) {
            long n = nextKinesis + i;
            String key = "key-" + (n % KEYS);
            batch.add(new Produced("k-" + n, key, stream));
            entries.add(PutRecordsRequestEntry.builder().partitionKey(key).data(SdkBytes.fromUtf8String("k-" + n)).build());
        }
        while (running.get()) {
            try {
                PutRecordsResponse response = kinesis.putRecords(r -> r.streamName(stream).records(entries));
                if (response.failedRecordCount() != null && response.failedRecordCount() > 0) {
                    problem("Kinesis refused " + response.failedRecordCount() + " of a batch; sending it again");
                    sleep(200);
                    continue;
                }
                record(batch);
                nextKinesis += perTick;
                return;
            } catch (RuntimeException e) {
                // The emulator is down or restarting: the same batch again, after a pause.
                sleep(200);
            }
        }
    }

    private void sendKafka() {
        List<Produced> batch = new ArrayList<>();
        List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
        for (int i = 0; i < perTick; i++) {
            long n = nextKafka + i;
            String key = "key-" + (n % KEYS);
            batch.add(new Produced("f-" + n, key, topic));
            sent.add(kafka.send(new ProducerRecord<>(topic, key, "f-" + n)));
        }
        kafka.flush();
        try {
            for (java.util.concurrent.Future<?> future : sent) {
                future.get();
            }
            record(batch);
            nextKafka += perTick;
        } catch (Exception e) {
            problem("a Kafka send failed: " + e);
        }
    }

    private synchronized void record(List<Produced> batch) {
        produced.addAll(batch);
    }

    private synchronized void problem(String text) {
        problems.add(text);
    }

    private static void sleep(long millis) {
        java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(millis).toNanos());
    }

    /** Holds the Kinesis half back (the emulator is about to restart); Kafka goes on. */
    void pauseKinesis() {
        kinesisPaused.set(true);
    }

    void resumeKinesis() {
        kinesisPaused.set(false);
    }

    synchronized List<Produced> produced() {
        return List.copyOf(produced);
    }

    synchronized List<String> problems() {
        return List.copyOf(problems);
    }

    /** Stops producing; everything acknowledged so far is in {@link #produced()}. Called again, it only waits. */
    void stop() throws InterruptedException {
        if (running.getAndSet(false)) {
            stoppedNanos = System.nanoTime();
        }
        if (started.get()) {
            thread.join(Duration.ofSeconds(30).toMillis());
        }
    }

    /** What it did, for the report: the stream and the topic, the rate on each, how long it ran, its problems. */
    DeliveryReport.Load load() {
        long until = running.get() ? System.nanoTime() : stoppedNanos;
        Duration ran = started.get() ? Duration.ofNanos(until - startedNanos) : Duration.ZERO;
        return new DeliveryReport.Load(List.of(stream, topic), perTick * 10, ran, problems());
    }

    @Override
    public void close() throws InterruptedException {
        stop();
        kafka.close(Duration.ofSeconds(5));
        kinesis.close();
    }
}
