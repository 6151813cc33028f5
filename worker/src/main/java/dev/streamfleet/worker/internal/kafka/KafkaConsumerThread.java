package dev.streamfleet.worker.internal.kafka;

import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.Fetch;
import dev.streamfleet.worker.RecordHeader;
import dev.streamfleet.worker.RecordSource;
import dev.streamfleet.worker.RecordSourceFactory;
import dev.streamfleet.worker.SourceFailedException;
import dev.streamfleet.worker.StreamRecord;
import dev.streamfleet.worker.TimestampType;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Kafka consumer per worker and cluster, serving every partition this worker holds on that
 * cluster (of any number of topics), through
 * {@code assign()}, {@code seek()}, {@code pause()} and {@code resume()}; no consumer-group
 * membership. The consumer belongs to its own thread; partition sources hand it commands and
 * take records from per-partition buffers. A partition whose buffer is full is paused at the
 * broker, so a slow processor slows its own partition and memory stays bounded.
 */
public final class KafkaConsumerThread implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaConsumerThread.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final int MAX_POLL_RECORDS = 500;
    /** Records buffered per partition before it is paused at the broker. */
    private static final int BUFFER_LIMIT = 2 * MAX_POLL_RECORDS;
    /** Bytes buffered per partition (data and key, as the unit's in-flight bound counts them) before it is paused. */
    static final long BUFFER_BYTES_LIMIT = 8L * 1024 * 1024;
    private static final int BATCH_LIMIT = MAX_POLL_RECORDS;
    /** An idle partition's loop is woken when records arrive; this only bounds a missed wake-up. */
    private static final Duration IDLE_WAIT = Duration.ofSeconds(1);
    /** How long the consumer thread waits for a partition's end offset when it is asked where the log ends. */
    private static final Duration OFFSETS_TIMEOUT = Duration.ofSeconds(3);

    private final String bootstrapServers;
    private final Optional<String> mirrorGroup;
    private final Consumer<byte[], byte[]> consumer;
    private final Thread thread;
    /** Commands for the consumer thread, and its stop: the only way other threads reach its state. */
    private final ConsumerCommands<Command> commands = new ConsumerCommands<>();
    private final Map<TopicPartition, PartitionSource> sources = new HashMap<>();
    private final Set<TopicPartition> paused = new HashSet<>();
    // Owned by the consumer thread.
    /** A command taken that must run again before any other: a wake-up or a passing broker failure hit it. */
    private Command inHand;
    /** Broker failures in a row. */
    private int failures;

    /**
     * Work for the consumer thread and the partitions it concerns. A failure of an essential
     * command (assigning and seeking) is the partitions' failure; a mirror commit's is only warned about.
     */
    private record Command(Runnable action, Set<TopicPartition> partitions, boolean essential) {
    }

    /**
     * Starts the consumer thread for one cluster.
     *
     * @param bootstrapServers the cluster
     * @param clientProperties extra consumer properties (security, timeouts)
     * @param clientId         the client id the broker sees, such as the worker id
     */
    public KafkaConsumerThread(String bootstrapServers, Map<String, String> clientProperties, String clientId) {
        this(bootstrapServers, clientProperties, clientId, Optional.empty());
    }

    /**
     * Starts the consumer thread for one cluster, mirroring every checkpoint into a consumer
     * group's committed offsets (without joining the group) so that existing lag tools see the
     * fleet's progress.
     *
     * @param mirrorGroup the consumer group to commit checkpointed offsets to; empty for none
     */
    public KafkaConsumerThread(String bootstrapServers, Map<String, String> clientProperties, String clientId,
                               Optional<String> mirrorGroup) {
        this(bootstrapServers, new KafkaConsumer<>(properties(bootstrapServers, clientProperties, clientId, mirrorGroup)),
                clientId, mirrorGroup);
    }

    /** Starts the consumer thread on a consumer made already: a real one, or a test's. */
    KafkaConsumerThread(String bootstrapServers, Consumer<byte[], byte[]> consumer, String clientId,
                        Optional<String> mirrorGroup) {
        this.bootstrapServers = bootstrapServers;
        this.mirrorGroup = mirrorGroup;
        this.consumer = consumer;
        this.thread = new Thread(this::run, "streamfleet-kafka-" + clientId);
        thread.setDaemon(true);
        thread.start();
    }

    private static Properties properties(String bootstrapServers, Map<String, String> clientProperties, String clientId,
                                         Optional<String> mirrorGroup) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(MAX_POLL_RECORDS));
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        mirrorGroup.ifPresent(group -> props.put(ConsumerConfig.GROUP_ID_CONFIG, group));
        return props;
    }

    /** The sources of one topic's partitions; a partition without a checkpoint starts at {@code initialPosition}. */
    public RecordSourceFactory topic(Position initialPosition) {
        return (unit, resumeAfter) -> open(unit, resumeAfter.orElse(initialPosition));
    }

    private RecordSource open(UnitId unit, Position start) {
        TopicPartition partition = new TopicPartition(unit.stream(), Integer.parseInt(unit.shard()));
        PartitionSource source = new PartitionSource(unit, partition);
        submit(Set.of(partition), true, () -> {
            sources.put(partition, source);
            consumer.assign(sources.keySet());
            seek(partition, start);
        });
        return source;
    }

    private void submit(Set<TopicPartition> partitions, boolean essential, Runnable action) {
        commands.add(new Command(action, partitions, essential));
        consumer.wakeup();
    }

    private void seek(TopicPartition partition, Position start) {
        if (start instanceof Position.Offset offset) {
            consumer.seek(partition, offset.nextOffset());
        } else if (start instanceof Position.Latest) {
            consumer.seekToEnd(List.of(partition));
        } else if (start instanceof Position.AtTimestamp at) {
            OffsetAndTimestamp found = consumer.offsetsForTimes(Map.of(partition, at.timestamp().toEpochMilli()))
                    .get(partition);
            if (found == null) {
                consumer.seekToEnd(List.of(partition));
            } else {
                consumer.seek(partition, found.offset());
            }
        } else {
            consumer.seekToBeginning(List.of(partition));
        }
    }

    private void run() {
        try {
            while (!commands.stopAsked()) {
                runCommands();
                if (sources.isEmpty()) {
                    waitForCommand(POLL);
                    continue;
                }
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = consumer.poll(POLL);
                } catch (WakeupException e) {
                    continue;
                } catch (org.apache.kafka.clients.consumer.LogTruncationException e) {
                    e.offsetOutOfRangePartitions().forEach((partition, offset) -> truncated(partition, offset,
                            Optional.ofNullable(e.divergentOffsets().get(partition)).map(at -> at.offset())));
                    // The client says it again at every poll until the unit lets the partition go: never a tight loop.
                    backoff(POLL);
                    continue;
                } catch (org.apache.kafka.clients.consumer.OffsetOutOfRangeException e) {
                    e.offsetOutOfRangePartitions().forEach(this::outOfRange);
                    backoff(POLL);
                    continue;
                } catch (KafkaException e) {
                    failed(e, sources.keySet());
                    continue;
                }
                failures = 0;
                for (TopicPartition partition : records.partitions()) {
                    PartitionSource source = sources.get(partition);
                    if (source != null) {
                        source.offer(records.records(partition), consumer.currentLag(partition));
                    }
                }
                // A caught-up partition's fetches bring no records but do bring its end: its lag is known (0), not unknown.
                sources.forEach((partition, source) -> {
                    if (!records.partitions().contains(partition)) {
                        source.lag(consumer.currentLag(partition));
                    }
                });
                applyBackPressure();
            }
        } catch (RuntimeException e) {
            // Not a Kafka error: a bug. Every partition of this cluster is told, so none stays READING unnoticed.
            LOG.error("the Kafka consumer of {} stopped: {}", bootstrapServers, e.toString(), e);
            String reason = "the Kafka consumer of " + bootstrapServers + " stopped: " + e;
            sources.values().forEach(source -> source.fail(reason));
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /**
     * Runs the partition sources' commands on this thread. A wake-up meant for {@code poll} can
     * fire inside a command ({@code offsetsForTimes} for AT_TIMESTAMP, say): the command then runs
     * again. A command that fails on the broker is kept for the next round (transient) or fails
     * its partitions (fatal).
     */
    private void runCommands() {
        while (!commands.stopAsked()) {
            Command command = inHand != null ? inHand : commands.take().orElse(null);
            if (command == null) {
                return;
            }
            inHand = command;
            try {
                command.action().run();
                inHand = null;
            } catch (WakeupException e) {
                // the wake-up is spent; run the command again
            } catch (KafkaException e) {
                if (!command.essential()) {
                    inHand = null;
                    LOG.warn("{}: mirroring a checkpoint into group {} failed: {}", command.partitions(),
                            mirrorGroup.orElse("?"), e.toString());
                    continue;
                }
                if (isFatal(e)) {
                    inHand = null;
                }
                failed(e, command.partitions());
                return;
            }
        }
    }

    /**
     * The leader's log diverged from the one the position was read on, below the position (an
     * unclean leader election replaced records): the records from the divergence on are not the
     * ones the checkpoint counted, however long the log is now, and the client reads nothing more
     * of the partition until someone decides. The unit fails, naming both offsets.
     */
    private void truncated(TopicPartition partition, long offset, Optional<Long> divergedAt) {
        failAtTheBroker(partition, partition + " was truncated at offset " + divergedAt.map(String::valueOf).orElse("?")
                + ", below offset " + offset + " where reading stood: the records from there on are not the ones the"
                + " checkpoint counted (an unclean leader election replaced them); nothing is read until `checkpoints"
                + " reset` says where to start");
    }

    /** Stops reading the partition and fails its unit (or logs, when no unit holds it any more). */
    private void failAtTheBroker(TopicPartition partition, String why) {
        // Until its unit lets it go; a pause for back-pressure may resume it meanwhile, and the next poll fails it again.
        consumer.pause(List.of(partition));
        PartitionSource source = sources.get(partition);
        if (source != null) {
            source.fail(why);
        } else {
            LOG.error("{}: {}", partition, why);
        }
    }

    /**
     * The partition has no record at {@code offset}. Before its log start, retention or DeleteRecords
     * removed the records in between: reading goes on at the log start and the unit reports the
     * skip. Past its end, the log is not the one the checkpoint was taken on (the topic was
     * recreated, or an unclean leader election cut records): the records written next would take
     * offsets the checkpoint already counts as processed, so the unit fails, naming both offsets,
     * until an operator says where to start. When the log's bounds cannot be read now, or hold the
     * offset again, the next poll decides.
     */
    private void outOfRange(TopicPartition partition, long offset) {
        long start;
        long end;
        try {
            start = consumer.beginningOffsets(List.of(partition), OFFSETS_TIMEOUT).getOrDefault(partition, 0L);
            end = consumer.endOffsets(List.of(partition), OFFSETS_TIMEOUT).getOrDefault(partition, Long.MAX_VALUE);
        } catch (WakeupException e) {
            return; // A command arrived: the next poll says again where the offset is out of range.
        } catch (KafkaException e) {
            LOG.warn("{}: offset {} is out of range and the log's start and end cannot be read now, asking again: {}",
                    partition, offset, e.toString());
            backoff(Duration.ofSeconds(1));
            return;
        }
        if (offset >= start && offset <= end) {
            // The log grew back to it meanwhile: the next poll reads there, or says again where it is out of range.
            return;
        }
        if (offset > end) {
            failAtTheBroker(partition, "offset " + offset + " is past the end of " + partition + " (offset " + end
                    + "): the topic was recreated or lost records (an unclean leader election), so the checkpoint does"
                    + " not belong to this log; nothing is read until `checkpoints reset` says where to start");
            return;
        }
        PartitionSource source = sources.get(partition);
        String why = "offset " + offset + " is no longer retained by Kafka (retention or DeleteRecords moved the log"
                + " start past it): the records before the earliest retained one are gone, reading goes on there";
        if (source != null) {
            // The unit reports it, by its name, with its next fetch.
            source.notRetained(why);
        } else {
            LOG.error("{}: {}", partition, why);
        }
        consumer.seekToBeginning(List.of(partition));
    }

    /**
     * A broker error. A fatal one (authentication, authorisation, an invalid topic) fails the
     * partitions it concerns with the broker's message; anything else is retried, with a warning
     * the first and every tenth time. Either way the thread backs off and goes on.
     */
    private void failed(KafkaException e, Set<TopicPartition> partitions) {
        failures++;
        if (isFatal(e)) {
            String reason = "Kafka at " + bootstrapServers + ": " + e.getClass().getSimpleName() + ": " + e.getMessage();
            Set<String> topics = e instanceof TopicAuthorizationException denied ? denied.unauthorizedTopics() : Set.of();
            for (TopicPartition partition : List.copyOf(partitions)) {
                PartitionSource source = sources.get(partition);
                if (source != null && (topics.isEmpty() || topics.contains(partition.topic()))) {
                    source.fail(reason);
                }
            }
        } else if (failures == 1 || failures % 10 == 0) {
            LOG.warn("Kafka at {}: {} failure(s) in a row, retrying: {}", bootstrapServers, failures, e.toString());
        }
        // Until the failed partitions' units have let them go, polling fails again: never in a tight loop.
        backoff(Duration.ofMillis(Math.min(5_000, 100L << Math.min(failures, 6))));
    }

    /**
     * Errors that retrying cannot mend. A missing topic is not among them: brokers report it
     * for a while after a topic is created or moved, so it is retried with warnings.
     */
    static boolean isFatal(KafkaException e) {
        return e instanceof AuthenticationException || e instanceof AuthorizationException
                || e instanceof InvalidTopicException;
    }

    /** Waits before the next attempt; a new command (or {@link #close}'s) ends the wait early. */
    private void backoff(Duration delay) {
        waitForCommand(delay);
    }

    /** Waits up to {@code limit} for a command or a stop to arrive. */
    private void waitForCommand(Duration limit) {
        commands.awaitCommand(limit);
    }

    private void applyBackPressure() {
        List<TopicPartition> toPause = new ArrayList<>();
        List<TopicPartition> toResume = new ArrayList<>();
        sources.forEach((partition, source) -> {
            int buffered = source.buffered();
            long bytes = source.bufferedBytes();
            if ((buffered >= BUFFER_LIMIT || bytes >= BUFFER_BYTES_LIMIT) && paused.add(partition)) {
                toPause.add(partition);
            } else if (buffered < BUFFER_LIMIT / 2 && bytes < BUFFER_BYTES_LIMIT / 2 && paused.remove(partition)) {
                toResume.add(partition);
            }
        });
        if (!toPause.isEmpty()) {
            consumer.pause(toPause);
        }
        if (!toResume.isEmpty()) {
            consumer.resume(toResume);
        }
    }

    @Override
    public void close() {
        // Jumps the queue: commands still waiting concern partitions that are closing too.
        commands.stop();
        consumer.wakeup();
        try {
            thread.join(Duration.ofSeconds(10).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One partition's records, buffered between the consumer thread and the unit loop. */
    private final class PartitionSource implements RecordSource {
        private final UnitId unit;
        private final TopicPartition partition;
        private final Deque<StreamRecord> buffer = new ArrayDeque<>();
        private long bufferedBytes;
        private OptionalLong lag = OptionalLong.empty();
        // Guarded by this source's monitor: the consumer thread fills the buffer, the unit drains it.
        private boolean closed;
        private String failure;
        /** Why records were skipped since the last fetch, when they were: the next fetch carries it. */
        private String notRetained;
        private Runnable wake = () -> { };

        PartitionSource(UnitId unit, TopicPartition partition) {
            this.unit = unit;
            this.partition = partition;
        }

        void offer(List<ConsumerRecord<byte[], byte[]>> records, OptionalLong currentLag) {
            Runnable toWake;
            synchronized (this) {
                if (closed) {
                    return;
                }
                append(records, currentLag);
                toWake = wake;
            }
            toWake.run();
        }

        /** The partition's lag as the last fetch response told it, when no records came with it. */
        synchronized void lag(OptionalLong currentLag) {
            if (currentLag.isPresent()) {
                lag = currentLag;
            }
        }

        @Override
        public synchronized void onRecordsAvailable(Runnable wake) {
            this.wake = wake;
        }

        private void append(List<ConsumerRecord<byte[], byte[]>> records, OptionalLong currentLag) {
            for (ConsumerRecord<byte[], byte[]> record : records) {
                byte[] key = record.key() == null ? new byte[0] : record.key();
                List<RecordHeader> headers = new ArrayList<>();
                record.headers().forEach(header -> headers.add(new RecordHeader(header.key(), header.value())));
                StreamRecord buffered = new StreamRecord(unit, new Position.Offset(record.offset() + 1),
                        StreamRecord.keyText(key), record.value() == null ? new byte[0] : record.value(),
                        Instant.ofEpochMilli(record.timestamp()), key, headers, timestampType(record.timestampType()));
                buffer.add(buffered);
                bufferedBytes += sizeOf(buffered);
            }
            lag = currentLag;
        }

        private static TimestampType timestampType(org.apache.kafka.common.record.TimestampType type) {
            return switch (type) {
                case CREATE_TIME -> TimestampType.CREATE_TIME;
                case LOG_APPEND_TIME -> TimestampType.LOG_APPEND_TIME;
                default -> TimestampType.NONE;
            };
        }

        synchronized int buffered() {
            return buffer.size();
        }

        synchronized long bufferedBytes() {
            return bufferedBytes;
        }

        private static long sizeOf(StreamRecord record) {
            return record.data().length + record.key().length;
        }

        /** The partition's position was no longer retained; the consumer goes on at its earliest offset. */
        synchronized void notRetained(String why) {
            notRetained = notRetained == null ? why : notRetained + "; " + why;
        }

        /** The consumer cannot serve this partition any more; its unit stops as FAILED at its next fetch. */
        void fail(String reason) {
            Runnable toWake;
            synchronized (this) {
                if (failure == null) {
                    failure = reason;
                }
                toWake = wake;
            }
            toWake.run();
        }

        @Override
        public synchronized Fetch fetch() {
            if (failure != null && buffer.isEmpty()) {
                throw new SourceFailedException(failure);
            }
            List<StreamRecord> batch = new ArrayList<>(Math.min(buffer.size(), BATCH_LIMIT));
            while (!buffer.isEmpty() && batch.size() < BATCH_LIMIT) {
                StreamRecord next = buffer.poll();
                bufferedBytes -= sizeOf(next);
                batch.add(next);
            }
            OptionalLong remaining = lag.isPresent() ? OptionalLong.of(lag.getAsLong() + buffer.size()) : lag;
            Optional<String> skipped = Optional.ofNullable(notRetained);
            notRetained = null;
            return new Fetch(batch, OptionalLong.empty(), remaining, false, Optional.empty(), Optional.empty(), 0, skipped);
        }

        @Override
        public Duration nextDelay(Fetch last) {
            return last.records().isEmpty() ? IDLE_WAIT : Duration.ZERO;
        }

        @Override
        public void checkpointed(Position position) {
            if (mirrorGroup.isEmpty() || !(position instanceof Position.Offset offset)) {
                return;
            }
            submit(Set.of(partition), false, () -> consumer.commitAsync(Map.of(partition,
                    new org.apache.kafka.clients.consumer.OffsetAndMetadata(offset.nextOffset())), (offsets, error) -> {
                        if (error != null) {
                            LOG.warn("{}: mirroring offset {} into group {} failed: {}", partition, offset.nextOffset(),
                                    mirrorGroup.get(), error.toString());
                        }
                    }));
        }

        @Override
        public void close() {
            synchronized (this) {
                closed = true;
                buffer.clear();
                bufferedBytes = 0;
            }
            submit(Set.of(partition), true, () -> {
                if (sources.remove(partition, this)) {
                    paused.remove(partition);
                    consumer.assign(sources.keySet());
                }
            });
        }
    }
}
