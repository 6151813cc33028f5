package dev.streamfleet.worker.internal.kafka;

import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The consumer thread's commands and its stop, against a consumer that needs no broker. */
class KafkaConsumerThreadTest {

    /**
     * A consumer whose first {@code assign} (the open command) returns only once {@code close()} has
     * woken it: so the stop is asked exactly while a command runs, every time.
     */
    private static final class CloseDuringAssign extends MockConsumer<byte[], byte[]> {
        final CountDownLatch assigning = new CountDownLatch(1);
        final CountDownLatch woken = new CountDownLatch(1);

        CloseDuringAssign() {
            super("earliest");
        }

        @Override
        public void assign(Collection<TopicPartition> partitions) {
            super.assign(partitions);
            if (assigning.getCount() > 0) {
                assigning.countDown();
                await(woken);
            }
        }

        @Override
        public synchronized void wakeup() {
            woken.countDown();
            super.wakeup();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(30, TimeUnit.SECONDS)).as("latch reached").isTrue();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aStopAskedWhileACommandRunsIsNotLostAndTheThreadEnds() {
        CloseDuringAssign consumer = new CloseDuringAssign();
        KafkaConsumerThread thread = new KafkaConsumerThread("test:9092", consumer, "test", Optional.empty());
        thread.topic(new Position.Offset(0)).open(UnitId.kafka("orders", 0), Optional.empty());
        await(consumer.assigning);

        thread.close();

        assertThat(consumer.closed()).as("the consumer thread ended and closed its consumer").isTrue();
    }

    @Test
    void aPartitionIsPausedAtTheBufferByteBoundNotOnlyAtItsRecordBound() {
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
        TopicPartition partition = new TopicPartition("orders", 0);
        consumer.updateBeginningOffsets(java.util.Map.of(partition, 0L));
        consumer.updateEndOffsets(java.util.Map.of(partition, 20L));
        byte[] megabyte = new byte[1024 * 1024];
        for (int i = 0; i < 20; i++) {
            long offset = i;
            consumer.schedulePollTask(() -> consumer.addRecord(
                    new org.apache.kafka.clients.consumer.ConsumerRecord<>("orders", 0, offset, new byte[] {1}, megabyte)));
        }
        KafkaConsumerThread thread = new KafkaConsumerThread("test:9092", consumer, "test", Optional.empty());
        try {
            thread.topic(new Position.Offset(0)).open(UnitId.kafka("orders", 0), Optional.empty());

            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> consumer.paused().contains(partition));
        } finally {
            thread.close();
        }
    }

    @Test
    void anOffsetNoLongerRetainedIsReportedWithTheNextFetchAndReadingGoesOnAtTheLogStart() {
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("none");
        TopicPartition partition = new TopicPartition("orders", 0);
        consumer.updateBeginningOffsets(java.util.Map.of(partition, 10L));
        consumer.updateEndOffsets(java.util.Map.of(partition, 11L));
        consumer.schedulePollTask(() -> consumer.setPollException(
                new org.apache.kafka.clients.consumer.OffsetOutOfRangeException("truncated", java.util.Map.of(partition, 5L))));
        consumer.schedulePollTask(() -> consumer.addRecord(
                new org.apache.kafka.clients.consumer.ConsumerRecord<>("orders", 0, 10L, new byte[] {1}, new byte[] {2})));
        KafkaConsumerThread thread = new KafkaConsumerThread("test:9092", consumer, "test", Optional.empty());
        try {
            dev.streamfleet.worker.RecordSource source = thread.topic(new Position.Offset(0))
                    .open(UnitId.kafka("orders", 0), Optional.of(new Position.Offset(5)));
            java.util.List<dev.streamfleet.worker.Fetch> fetches = new java.util.ArrayList<>();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> {
                fetches.add(source.fetch());
                return fetches.stream().anyMatch(f -> !f.records().isEmpty());
            });

            assertThat(fetches.stream().flatMap(f -> f.notRetained().stream()).toList())
                    .singleElement().asString().contains("offset 5 is no longer retained");
            assertThat(fetches.stream().flatMap(f -> f.records().stream()).map(r -> r.position()).toList())
                    .containsExactly(new Position.Offset(11));
        } finally {
            thread.close();
        }
    }
    @Test
    void anOffsetPastTheLogsEndFailsTheUnitNamingItInsteadOfRereadingFromTheLogStart() {
        // The checkpoint names offset 5; the log now ends at 3: the topic was recreated, or an unclean
        // leader election cut records. Reading from the log start would take the next records written at
        // offsets 3 and 4 for ones the checkpoint says were processed, and call the loss retention.
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("none");
        TopicPartition partition = new TopicPartition("orders", 0);
        consumer.updateBeginningOffsets(java.util.Map.of(partition, 0L));
        consumer.updateEndOffsets(java.util.Map.of(partition, 3L));
        consumer.schedulePollTask(() -> consumer.setPollException(
                new org.apache.kafka.clients.consumer.OffsetOutOfRangeException("past the end", java.util.Map.of(partition, 5L))));
        KafkaConsumerThread thread = new KafkaConsumerThread("test:9092", consumer, "test", Optional.empty());
        try {
            dev.streamfleet.worker.RecordSource source = thread.topic(new Position.Offset(0))
                    .open(UnitId.kafka("orders", 0), Optional.of(new Position.Offset(5)));
            java.util.List<dev.streamfleet.worker.Fetch> fetches = new java.util.ArrayList<>();
            java.util.concurrent.atomic.AtomicReference<RuntimeException> failure = new java.util.concurrent.atomic.AtomicReference<>();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> {
                try {
                    fetches.add(source.fetch());
                    return false;
                } catch (dev.streamfleet.worker.SourceFailedException e) {
                    failure.set(e);
                    return true;
                }
            });

            assertThat(failure.get()).hasMessageContaining("offset 5 is past the end of orders-0 (offset 3)")
                    .hasMessageContaining("checkpoints reset");
            assertThat(fetches.stream().flatMap(f -> f.notRetained().stream()).toList()).as("no retention skip").isEmpty();
            assertThat(fetches.stream().flatMap(f -> f.records().stream()).toList()).isEmpty();
            assertThat(consumer.paused()).contains(partition);
        } finally {
            thread.close();
        }
    }
    @Test
    void anOffsetTheLogHoldsAgainByTheTimeItsBoundsAreReadIsReadOnWithoutSkipOrFailure() {
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("none");
        TopicPartition partition = new TopicPartition("orders", 0);
        consumer.updateBeginningOffsets(java.util.Map.of(partition, 0L));
        consumer.updateEndOffsets(java.util.Map.of(partition, 6L));
        consumer.schedulePollTask(() -> consumer.setPollException(
                new org.apache.kafka.clients.consumer.OffsetOutOfRangeException("moments ago", java.util.Map.of(partition, 5L))));
        consumer.schedulePollTask(() -> consumer.addRecord(
                new org.apache.kafka.clients.consumer.ConsumerRecord<>("orders", 0, 5L, new byte[] {1}, new byte[] {2})));
        KafkaConsumerThread thread = new KafkaConsumerThread("test:9092", consumer, "test", Optional.empty());
        try {
            dev.streamfleet.worker.RecordSource source = thread.topic(new Position.Offset(0))
                    .open(UnitId.kafka("orders", 0), Optional.of(new Position.Offset(5)));
            java.util.List<dev.streamfleet.worker.Fetch> fetches = new java.util.ArrayList<>();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> {
                fetches.add(source.fetch());
                return fetches.stream().anyMatch(f -> !f.records().isEmpty());
            });

            assertThat(fetches.stream().flatMap(f -> f.notRetained().stream()).toList()).isEmpty();
            assertThat(fetches.stream().flatMap(f -> f.records().stream()).map(r -> r.position()).toList())
                    .containsExactly(new Position.Offset(6));
            assertThat(consumer.paused()).isEmpty();
        } finally {
            thread.close();
        }
    }
    @Test
    void aLogTruncatedBelowThePositionFailsTheUnitNamingWhereEvenWhenTheNewLeadersLogIsLongerAgain() {
        // An unclean leader election: the new leader's log diverges at 900, below the position 1000, and it has
        // taken 300 records since, so offset 1000 lies inside its log. The client says so (LogTruncationException,
        // a kind of OffsetOutOfRangeException) at every poll until someone decides; offsets 900 to 999 are new
        // records the checkpoint counts as processed.
        TopicPartition partition = new TopicPartition("orders", 0);
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("none") {
            @Override
            public synchronized org.apache.kafka.clients.consumer.ConsumerRecords<byte[], byte[]> poll(java.time.Duration timeout) {
                throw new org.apache.kafka.clients.consumer.LogTruncationException("truncated",
                        java.util.Map.of(partition, 1000L),
                        java.util.Map.of(partition, new org.apache.kafka.clients.consumer.OffsetAndMetadata(900L)));
            }
        };
        consumer.updateBeginningOffsets(java.util.Map.of(partition, 0L));
        consumer.updateEndOffsets(java.util.Map.of(partition, 1200L));
        KafkaConsumerThread thread = new KafkaConsumerThread("test:9092", consumer, "test", Optional.empty());
        try {
            dev.streamfleet.worker.RecordSource source = thread.topic(new Position.Offset(0))
                    .open(UnitId.kafka("orders", 0), Optional.of(new Position.Offset(1000)));
            java.util.List<dev.streamfleet.worker.Fetch> fetches = new java.util.ArrayList<>();
            java.util.concurrent.atomic.AtomicReference<RuntimeException> failure = new java.util.concurrent.atomic.AtomicReference<>();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> {
                try {
                    fetches.add(source.fetch());
                    return false;
                } catch (dev.streamfleet.worker.SourceFailedException e) {
                    failure.set(e);
                    return true;
                }
            });

            assertThat(failure.get()).hasMessageContaining("orders-0 was truncated at offset 900, below offset 1000")
                    .hasMessageContaining("checkpoints reset");
            assertThat(fetches.stream().flatMap(f -> f.notRetained().stream()).toList()).as("no retention skip").isEmpty();
        } finally {
            thread.close();
        }
    }
}
