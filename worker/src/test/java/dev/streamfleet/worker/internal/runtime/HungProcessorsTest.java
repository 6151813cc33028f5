package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.internal.memory.InMemoryCheckpointTable;
import dev.streamfleet.coordinator.LeaseValidity;
import dev.streamfleet.coordinator.ManualScheduler;
import dev.streamfleet.coordinator.RevokeReason;
import dev.streamfleet.coordinator.TaskFailures;
import dev.streamfleet.coordinator.UnitContext;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.Backoff;
import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.MonotonicClock;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.Fetch;
import dev.streamfleet.worker.Parallelism;
import dev.streamfleet.worker.RecordProcessor;
import dev.streamfleet.worker.RecordSource;
import dev.streamfleet.worker.StreamRecord;
import dev.streamfleet.worker.WorkerRuntime;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Processors that never return, as many as the unit pool has threads: the worker's watchdogs must
 * fire all the same, on the threads the worker really builds ({@link UnitThreads}), here driven by
 * hand with a pool of two threads that the hung processors really hold.
 */
class HungProcessorsTest {

    private static final UnitId FIRST = UnitId.kafka("orders", 0);
    private static final UnitId SECOND = UnitId.kafka("orders", 1);
    private static final Epoch EPOCH = new Epoch("zk-test", 5);

    private final ManualScheduler threads = new ManualScheduler(2);
    private final TaskFailures failures = new TaskFailures("hung-test");
    private final UnitThreads unitThreads = new UnitThreads(threads.timerThread(), threads.pool(), Optional.empty(),
            threads.pool(), failures);
    private final CheckpointStore store = new InMemoryCheckpointTable().store("hung-test");
    private final List<String> events = new ArrayList<>();
    private final List<String> stuck = new ArrayList<>();
    private final StalledUnits stalls = new StalledUnits();
    private final WorkerSettings settings = new WorkerSettings(new CheckpointPolicy(Duration.ZERO),
            new Backoff(3, Duration.ofMillis(1), Duration.ofMillis(5)), 2)
            .withStuckHandling(Duration.ofSeconds(60), stuck::add)
            .withStallAfter(Duration.ofSeconds(30));
    private final ManualScheduler.Hold neverReturns = threads.newHold();

    /** Always one more record waiting. */
    private static final class EndlessSource implements RecordSource {
        private final UnitId unit;
        private long next;

        EndlessSource(UnitId unit) {
            this.unit = unit;
        }

        @Override
        public Fetch fetch() {
            StreamRecord record = new StreamRecord(unit, new Position.Offset(next), "k", new byte[] {(byte) next},
                    Instant.EPOCH);
            next++;
            return new Fetch(List.of(record), OptionalLong.empty(), OptionalLong.of(1), false, Optional.empty());
        }

        @Override
        public Duration nextDelay(Fetch last) {
            return Duration.ofMillis(100);
        }

        @Override
        public void close() {
        }
    }

    private UnitRunner start(UnitId unit, RecordProcessor processor) {
        Checkpoint claimed = store.claim(unit, EPOCH, "w1");
        UnitContext context = new UnitContext(unit, EPOCH, WorkerId.of("w1"), claimed, store,
                new RecordingUnitEvents(events), LeaseValidity.ALWAYS);
        return UnitRunner.start(context, new EndlessSource(unit), ignored -> processor, unitThreads.scheduler(),
                unitThreads.lanes(), settings, MonotonicClock.startingAt(threads.clock.instant(), threads::nanoTime), UnitMetrics.unregistered(unit), stalls);
    }

    /** Production's scheduler reports a task that throws instead of failing the script: none may have. */
    @AfterEach
    void noTaskFailed() {
        assertThat(failures.last()).as("a task that threw").isEmpty();
    }

    @Test
    void twoHungProcessorsOnATwoThreadPoolAreReportedStalledAndTheStuckHandlerFiresOnTime() {
        RecordProcessor hangs = (batch, checkpointer) -> neverReturns.await();
        UnitRunner first = start(FIRST, hangs);
        start(SECOND, hangs);
        threads.runReady();
        assertThat(threads.freePoolThreads()).as("both pool threads held by a processor").isZero();

        CompletableFuture<Boolean> revoked = first.revoke(Duration.ofSeconds(10), RevokeReason.MOVED);
        threads.advance(Duration.ofSeconds(40));

        assertThat(stalls.snapshot()).as("STALLED while every pool thread is held").containsKeys(FIRST, SECOND);
        threads.advance(Duration.ofSeconds(29));
        assertThat(stuck).as("not before the revoke's deadline plus stuckAfter").isEmpty();
        threads.advance(Duration.ofSeconds(2));
        assertThat(stuck).as("the stuck handler, 70 s after the revoke").singleElement().asString()
                .startsWith(FIRST + ": the processor has not returned 70 s after the revoke");
        assertThat(revoked).as("the lease stays until process returns").isNotDone();

        neverReturns.release();
        threads.advance(Duration.ofSeconds(1));
        assertThat(revoked).as("dropped without a checkpoint, past its deadline").isCompletedWithValue(false);
    }

    @Test
    void theLanePoolIsBoundedByTheUnitThreadsTimesTheParallelism() {
        WorkerSettings parallel = settings.withProcessing(3, 2).withParallelism(Parallelism.of(4));
        assertThat(UnitThreads.laneBound(parallel)).isEqualTo(12);
        try (UnitThreads real = UnitThreads.start(parallel, WorkerRuntime.defaults(), failures)) {
            assertThat(real.lanes()).isInstanceOf(LanePool.class);
        }
    }
}
