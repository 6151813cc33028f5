package dev.streamfleet.devtools;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;

/**
 * The demo's load: every second, half the rate to the Kinesis stream and half to the Kafka
 * topic, each record a JSON object with a unique id. Only ids that the stream or the broker
 * acknowledged count as produced, so the demo's "every record processed" check is exact; a
 * Kinesis entry that failed is sent again.
 */
final class DemoProducer implements Runnable {

    private static final int ATTEMPTS = 5;

    private final KinesisClient kinesis;
    private final String stream;
    private final String bootstrapServers;
    private final String topic;
    private final int rate;
    private final AtomicLong nextId = new AtomicLong();
    private final Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
    private final Set<Long> failed = ConcurrentHashMap.newKeySet();
    private volatile boolean producing = true;
    private volatile String error;

    DemoProducer(KinesisClient kinesis, String stream, String bootstrapServers, String topic, int rate) {
        this.kinesis = kinesis;
        this.stream = stream;
        this.bootstrapServers = bootstrapServers;
        this.topic = topic;
        this.rate = rate;
    }

    /** Produces until {@link #stop}, one batch a second; runs on the demo's producer thread. */
    @Override
    public void run() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, String> kafka = new KafkaProducer<>(props)) {
            long next = System.nanoTime();
            while (producing) {
                List<PutRecordsRequestEntry> entries = new ArrayList<>();
                List<Long> ids = new ArrayList<>();
                for (int i = 0; i < Math.max(1, rate / 2); i++) {
                    long id = nextId.incrementAndGet();
                    ids.add(id);
                    entries.add(PutRecordsRequestEntry.builder().partitionKey("key-" + id % 16)
                            .data(SdkBytes.fromString(body(id), StandardCharsets.UTF_8)).build());
                    long kafkaId = nextId.incrementAndGet();
                    kafka.send(new ProducerRecord<>(topic, "key-" + kafkaId % 16, body(kafkaId)), (metadata, e) -> {
                        if (e == null) {
                            acknowledged.add(kafkaId);
                        } else {
                            failed.add(kafkaId);
                        }
                    });
                }
                putAll(entries, ids);
                next += TimeUnit.SECONDS.toNanos(1);
                long sleep = next - System.nanoTime();
                if (sleep > 0) {
                    TimeUnit.NANOSECONDS.sleep(sleep);
                }
            }
            kafka.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            error = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    private void putAll(List<PutRecordsRequestEntry> entries, List<Long> ids) {
        List<PutRecordsRequestEntry> pending = entries;
        List<Long> pendingIds = ids;
        for (int attempt = 1; !pending.isEmpty() && attempt <= ATTEMPTS; attempt++) {
            List<PutRecordsRequestEntry> batch = pending;
            PutRecordsResponse response = kinesis.putRecords(r -> r.streamName(stream).records(batch));
            List<PutRecordsRequestEntry> retry = new ArrayList<>();
            List<Long> retryIds = new ArrayList<>();
            for (int i = 0; i < response.records().size(); i++) {
                PutRecordsResultEntry result = response.records().get(i);
                if (result.errorCode() == null) {
                    acknowledged.add(pendingIds.get(i));
                } else {
                    retry.add(pending.get(i));
                    retryIds.add(pendingIds.get(i));
                }
            }
            pending = retry;
            pendingIds = retryIds;
        }
        failed.addAll(pendingIds);
    }

    private static String body(long id) {
        return "{\"id\":" + id + ",\"producedAt\":" + System.currentTimeMillis() + "}";
    }

    void stop() {
        producing = false;
    }

    /** The ids the stream or the broker acknowledged. */
    Set<Long> acknowledged() {
        return Set.copyOf(acknowledged);
    }

    int failedCount() {
        return failed.size();
    }

    /** Why the producer stopped on its own, if it did. */
    String error() {
        return error;
    }
}
