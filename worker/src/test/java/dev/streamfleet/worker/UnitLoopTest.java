package dev.streamfleet.worker;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.memory.InMemoryCheckpointTable;
import dev.streamfleet.coordinator.UnitContext;
import dev.streamfleet.coordinator.UnitEvents;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.Backoff;
import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The unit loop against a scripted source and the in-memory store; no servers. */
class UnitLoopTest {

    private static final UnitId UNIT = UnitId.kafka("orders", 0);
    private static final Epoch EPOCH = new Epoch("zk-test", 5);

    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    private final CheckpointStore store = new InMemoryCheckpointTable().store("loop-test");
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final WorkerSettings settings = new WorkerSettings(new CheckpointPolicy(Duration.ZERO),
            new Backoff(3, Duration.ofMillis(1), Duration.ofMillis(5)), 2);

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    /** Hands out scripted batches of offsets, then reports caught up. */
    private static class ScriptedSource implements RecordSource {
        private final Deque<List<Long>> batches = new ArrayDeque<>();
        private final boolean endAfter;

        ScriptedSource(boolean endAfter, List<List<Long>> batches) {
            this.endAfter = endAfter;
            this.batches.addAll(batches);
        }

        @Override
        public synchronized Fetch fetch() {
            List<Long> offsets = batches.poll();
            if (offsets == null) {
                return new Fetch(List.of(), OptionalLong.empty(), OptionalLong.of(0), endAfter, Optional.empty());
            }
            List<StreamRecord> records = new ArrayList<>();
            for (long offset : offsets) {
                records.add(new StreamRecord(UNIT, new Position.Offset(offset + 1), "k", new byte[] {(byte) offset},
                        Instant.EPOCH));
            }
            return new Fetch(records, OptionalLong.empty(), OptionalLong.of(0), false, Optional.empty());
        }

        @Override
        public Duration nextDelay(Fetch last) {
            return Duration.ofMillis(5);
        }

        @Override
        public void close() {
        }
    }

    private UnitContext context() {
        return context(dev.streamfleet.coordinator.LeaseValidity.ALWAYS);
    }

    private UnitContext context(dev.streamfleet.coordinator.LeaseValidity validity) {
        Checkpoint claimed = store.claim(UNIT, EPOCH, "w1");
        return new UnitContext(UNIT, EPOCH, WorkerId.of("w1"), claimed, store, new UnitEvents() {
            @Override
            public void ended() {
                events.add("ended");
            }

            @Override
            public void lost(String reason) {
                events.add("lost");
            }

            @Override
            public void failed(String reason) {
                events.add("failed: " + reason);
            }
        }, validity);
    }

    private Optional<Position> stored() {
        return store.read(UNIT).flatMap(Checkpoint::position);
    }

    @Test
    void batchIsHeldBackWhileTheLeaseIsUncertainAndProcessedOnceItIsConfirmed() {
        List<Long> processed = new CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean confirmed = new java.util.concurrent.atomic.AtomicBoolean(false);
        AtomicInteger fetches = new AtomicInteger();
        ScriptedSource source = new ScriptedSource(false, List.of(List.of(0L, 1L), List.of(2L))) {
            @Override
            public synchronized Fetch fetch() {
                fetches.incrementAndGet();
                return super.fetch();
            }
        };

        UnitLoop.start(context(confirmed::get), source, (batch, checkpointer) ->
                batch.records().forEach(r -> processed.add((long) r.data()[0])), scheduler, settings, Clock.systemUTC());

        await().atMost(Duration.ofSeconds(5)).until(() -> fetches.get() >= 1);
        await().pollDelay(Duration.ofMillis(300)).atMost(Duration.ofSeconds(1)).until(() -> true);
        assertThat(processed).as("nothing handed to the processor while the session is unconfirmed").isEmpty();
        assertThat(fetches.get()).as("the held batch is not fetched past").isEqualTo(1);

        confirmed.set(true);
        await().atMost(Duration.ofSeconds(5)).until(() -> processed.size() == 3);
        assertThat(processed).containsExactly(0L, 1L, 2L);
    }

    @Test
    void failingBatchIsOfferedAgainAndNothingIsSkipped() {
        List<Long> processed = new CopyOnWriteArrayList<>();
        AtomicInteger failuresLeft = new AtomicInteger(2);
        RecordProcessor flaky = (batch, checkpointer) -> {
            if (batch.records().get(0).data()[0] == 3 && failuresLeft.getAndDecrement() > 0) {
                throw new IllegalStateException("downstream unavailable");
            }
            batch.records().forEach(r -> processed.add((long) r.data()[0]));
        };
        ScriptedSource source = new ScriptedSource(false, List.of(List.of(0L, 1L, 2L), List.of(3L, 4L), List.of(5L)));

        UnitLoop.start(context(), source, flaky, scheduler, settings, Clock.systemUTC());

        await().atMost(Duration.ofSeconds(5)).until(() -> processed.size() == 6);
        assertThat(processed).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
        await().atMost(Duration.ofSeconds(5)).until(() -> stored().equals(Optional.of(new Position.Offset(6))));
        assertThat(events).isEmpty();
    }

    @Test
    void metricsCountRecordsBytesAndRetriesPerUnitAndWorker() {
        com.codahale.metrics.MetricRegistry registry = new com.codahale.metrics.MetricRegistry();
        AtomicInteger failuresLeft = new AtomicInteger(1);
        RecordProcessor onceFlaky = (batch, checkpointer) -> {
            if (failuresLeft.getAndDecrement() > 0) {
                throw new IllegalStateException("once");
            }
        };
        ScriptedSource source = new ScriptedSource(false, List.of(List.of(0L, 1L, 2L), List.of(3L)));

        UnitLoop.start(context(), source, onceFlaky, scheduler, settings, Clock.systemUTC(), new UnitMetrics(registry, UNIT));

        String unit = "streamfleet.unit." + UNIT;
        await().atMost(Duration.ofSeconds(5)).until(() -> registry.meter(unit + ".records").getCount() == 4);
        assertThat(registry.meter(unit + ".bytes").getCount()).isEqualTo(4);
        assertThat(registry.counter(unit + ".processorRetries").getCount()).isEqualTo(1);
        assertThat(registry.meter("streamfleet.worker.records").getCount()).isEqualTo(4);
        assertThat(registry.getGauges()).containsKey(unit + ".offsetLag");
    }

    @Test
    void processorThatKeepsFailingStopsTheUnitVisiblyWithoutCheckpointingPastIt() {
        RecordProcessor broken = (batch, checkpointer) -> {
            if (batch.records().get(0).data()[0] == 3) {
                throw new IllegalStateException("poison record");
            }
        };
        ScriptedSource source = new ScriptedSource(false, List.of(List.of(0L, 1L, 2L), List.of(3L, 4L), List.of(5L)));

        UnitLoop.start(context(), source, broken, scheduler, settings, Clock.systemUTC());

        await().atMost(Duration.ofSeconds(5)).until(() -> !events.isEmpty());
        assertThat(events).hasSize(1);
        assertThat(events.get(0)).startsWith("failed: processor failed 3 times on the batch after offset:3")
                .contains("poison record");
        assertThat(stored()).contains(new Position.Offset(3));
    }

    @Test
    void processorThatThrowsAnErrorIsRetriedThenFailedInsteadOfStallingSilently() {
        AtomicInteger calls = new AtomicInteger();
        RecordProcessor builtAgainstAnotherVersion = (batch, checkpointer) -> {
            calls.incrementAndGet();
            throw new NoSuchMethodError("dev.example.Client.send(Ljava/lang/String;)V");
        };
        ScriptedSource source = new ScriptedSource(false, List.of(List.of(0L, 1L)));

        UnitLoop.start(context(), source, builtAgainstAnotherVersion, scheduler, settings, Clock.systemUTC());

        await().atMost(Duration.ofSeconds(5)).until(() -> !events.isEmpty());
        assertThat(calls).as("offered as often as an exception would be").hasValue(3);
        assertThat(events).singleElement().asString().startsWith("failed: processor failed 3 times on the batch after the start")
                .contains("NoSuchMethodError");
        assertThat(stored()).isEmpty();
    }

    @Test
    void anErrorWhileReadingStopsTheUnitAsFailedInsteadOfStallingSilently() {
        ScriptedSource source = new ScriptedSource(false, List.of()) {
            @Override
            public synchronized Fetch fetch() {
                throw new ExceptionInInitializerError("a codec failed to load");
            }
        };

        UnitLoop.start(context(), source, (batch, checkpointer) -> { }, scheduler, settings, Clock.systemUTC());

        await().atMost(Duration.ofSeconds(5)).until(() -> !events.isEmpty());
        assertThat(events).singleElement().asString().startsWith("failed: stopped by java.lang.ExceptionInInitializerError");
    }

    @Test
    void aSourceThatCannotGoOnStopsTheUnitAsFailedWithItsReason() {
        ScriptedSource source = new ScriptedSource(false, List.of()) {
            @Override
            public synchronized Fetch fetch() {
                throw new SourceFailedException("Kafka at 127.0.0.1:9092: TopicAuthorizationException: not authorized");
            }
        };

        UnitLoop.start(context(), source, (batch, checkpointer) -> { }, scheduler, settings, Clock.systemUTC());

        await().atMost(Duration.ofSeconds(5)).until(() -> !events.isEmpty());
        assertThat(events).containsExactly("failed: Kafka at 127.0.0.1:9092: TopicAuthorizationException: not authorized");
    }

    @Test
    void drainWritesTheFinalCheckpointAndRevokesTheProcessor() {
        List<String> calls = new CopyOnWriteArrayList<>();
        RecordProcessor processor = new RecordProcessor() {
            @Override
            public void process(RecordBatch batch, Checkpointer checkpointer) {
                calls.add("process " + batch.records().size());
            }

            @Override
            public void revoked(Checkpointer checkpointer) {
                calls.add("revoked");
            }
        };
        WorkerSettings rarely = new WorkerSettings(new CheckpointPolicy(Duration.ofHours(1)), settings.processorRetry(), 2);
        ScriptedSource source = new ScriptedSource(false, List.of(List.of(0L, 1L), List.of(2L)));
        UnitLoop loop = UnitLoop.start(context(), source, processor, scheduler, rarely, Clock.systemUTC());
        await().atMost(Duration.ofSeconds(5)).until(() -> calls.size() == 2);
        assertThat(stored()).as("coalesced: nothing written yet").isEmpty();

        assertThat(loop.drain(Duration.ofSeconds(5))).isTrue();

        assertThat(calls).containsExactly("process 2", "process 1", "revoked");
        assertThat(stored()).contains(new Position.Offset(3));
    }

    @Test
    void fencedCheckpointStopsTheUnitAsLostWithoutRetrying() {
        AtomicInteger batches = new AtomicInteger();
        RecordProcessor counting = (batch, checkpointer) -> batches.incrementAndGet();
        UnitContext context = context();
        store.claim(UNIT, new Epoch("zk-test", 9), "w2");
        ScriptedSource source = new ScriptedSource(false, List.of(List.of(0L), List.of(1L), List.of(2L)));

        UnitLoop.start(context, source, counting, scheduler, settings, Clock.systemUTC());

        await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("lost"));
        assertThat(batches.get()).isEqualTo(1);
        assertThat(store.read(UNIT).orElseThrow().owner()).contains("w2");
    }

    @Test
    void shardEndIsCheckpointedMarkedAndReported() {
        List<String> calls = new CopyOnWriteArrayList<>();
        RecordProcessor processor = new RecordProcessor() {
            @Override
            public void process(RecordBatch batch, Checkpointer checkpointer) {
                calls.add("process");
            }

            @Override
            public void shardEnded(Checkpointer checkpointer) {
                calls.add("shardEnded");
            }
        };
        ScriptedSource source = new ScriptedSource(true, List.of(List.of(0L, 1L)));

        UnitLoop.start(context(), source, processor, scheduler, settings, Clock.systemUTC());

        await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("ended"));
        assertThat(calls).containsExactly("process", "shardEnded");
        assertThat(store.read(UNIT).orElseThrow().isEnded()).isTrue();
        assertThat(stored()).contains(new Position.Offset(2));
    }

    @Test
    void pausedUnitFetchesNothingUntilResumed() {
        AtomicInteger batches = new AtomicInteger();
        ScriptedSource source = new ScriptedSource(false, List.of(List.of(0L), List.of(1L), List.of(2L)));
        UnitLoop loop = UnitLoop.start(context(), source, (batch, checkpointer) -> batches.incrementAndGet(), scheduler,
                settings, Clock.systemUTC());
        loop.pause();
        int before = batches.get();

        // At most the step already running when pause() was called may finish.
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> batches.get() <= before + 1);
        loop.resume();

        await().atMost(Duration.ofSeconds(5)).until(() -> batches.get() == 3);
    }
}
