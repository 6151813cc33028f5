package dev.streamfleet.it.worker;

import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Records sent to each partition of a topic at a rate of its own, every 50 ms, until closed. The
 * rate of a partition may change over time: {@code rate.apply(partition, second)} in records per
 * second, {@code second} counted from the start.
 */
public final class PacedKafkaLoad implements AutoCloseable {

    private static final long TICK_NANOS = 50_000_000L;

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    public PacedKafkaLoad(String bootstrap, String topic, int partitions, BiFunction<Integer, Long, Double> rate) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        thread = new Thread(() -> {
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
                long start = System.nanoTime();
                long next = start;
                long sent = 0;
                double[] owed = new double[partitions];
                while (running.get()) {
                    long second = (next - start) / 1_000_000_000L;
                    for (int partition = 0; partition < partitions; partition++) {
                        owed[partition] += rate.apply(partition, second) * TICK_NANOS / 1e9;
                        for (; owed[partition] >= 1; owed[partition]--) {
                            producer.send(new ProducerRecord<>(topic, partition, "k" + (sent % 100), "r" + sent++));
                        }
                    }
                    next += TICK_NANOS;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                }
            }
        }, "paced-kafka-load");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join(10_000);
    }
}
