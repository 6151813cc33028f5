package dev.streamfleet.it.faults;

import dev.streamfleet.it.worker.TestTopics;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A scenario's dead-letter topic ({@code processing.deadLetter.kafka}), created for it and read
 * back by a consumer of its own from the beginning. Each letter is parsed here, once, into a
 * {@link DeadLetterReport.Letter}; one that does not parse is kept as a description for the
 * report. Not thread-safe: the test thread owns it.
 */
final class DeadLetterTopic implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PARTITIONS = 2;

    final String topic;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<TopicPartition> partitions = new ArrayList<>();
    private final List<DeadLetterReport.Letter> letters = new ArrayList<>();
    private final List<String> unreadable = new ArrayList<>();

    DeadLetterTopic(String bootstrap) throws Exception {
        this.topic = TestTopics.create(bootstrap, "faults-dead-letters", PARTITIONS);
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // Only what the workers' producers acknowledged: they write idempotently, with acks=all.
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.consumer = new KafkaConsumer<>(props);
        for (int p = 0; p < PARTITIONS; p++) {
            partitions.add(new TopicPartition(topic, p));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /**
     * Reads on until every partition's end as it is now, within {@code atMost}, and returns every
     * letter read so far.
     *
     * @throws AssertionError when the end was not reached in time: the letters would be incomplete
     */
    List<DeadLetterReport.Letter> readToEnd(Duration atMost) {
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, atMost);
        long deadline = System.nanoTime() + atMost.toNanos();
        while (partitions.stream().anyMatch(p -> consumer.position(p, atMost) < end.get(p))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the dead-letter topic " + topic + " was not read to its end " + end
                        + " within " + atMost.toMillis() + " ms");
            }
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                parse(record);
            }
        }
        return List.copyOf(letters);
    }

    /** The letters that did not parse, each with its place in the topic. */
    List<String> unreadable() {
        return List.copyOf(unreadable);
    }

    private void parse(ConsumerRecord<byte[], byte[]> record) {
        String text = new String(record.value(), StandardCharsets.UTF_8);
        try {
            JsonNode node = JSON.readTree(text);
            String id = new String(Base64.getDecoder().decode(field(node, "data")), StandardCharsets.UTF_8);
            field(node, "arrivalTime");
            letters.add(new DeadLetterReport.Letter(field(node, "unit"), field(node, "position"),
                    field(node, "partitionKey"), node.path("attempts").asInt(-1), field(node, "error"), id,
                    record.timestamp()));
        } catch (java.io.IOException | IllegalArgumentException e) {
            unreadable.add(record.topic() + "-" + record.partition() + "@" + record.offset() + " (" + e.getMessage()
                    + "): " + text);
        }
    }

    private static String field(JsonNode node, String name) {
        JsonNode value = node.get(name);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("no text field '" + name + "'");
        }
        return value.asText();
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
