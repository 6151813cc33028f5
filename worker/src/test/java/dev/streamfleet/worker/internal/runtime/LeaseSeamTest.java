package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.internal.memory.InMemoryCheckpointTable;
import dev.streamfleet.coordinator.CoordinatorConfig;
import dev.streamfleet.coordinator.LeaseKeeper;
import dev.streamfleet.coordinator.ManualScheduler;
import dev.streamfleet.coordinator.ScriptedLeaseNodes;
import dev.streamfleet.coordinator.UnitState;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.Backoff;
import dev.streamfleet.core.MonotonicClock;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.Checkpointer;
import dev.streamfleet.worker.Fetch;
import dev.streamfleet.worker.LostContext;
import dev.streamfleet.worker.ProcessorContext;
import dev.streamfleet.worker.RecordBatch;
import dev.streamfleet.worker.RecordProcessor;
import dev.streamfleet.worker.RecordSource;
import dev.streamfleet.worker.RevokeContext;
import dev.streamfleet.worker.ShardEndContext;
import dev.streamfleet.worker.StreamRecord;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The seam between the lease keeper and the unit runtime: the real {@link LeaseKeeper} starting
 * real {@link UnitRunner}s, both on one hand-driven scheduler and clock, over scripted lease nodes
 * and the in-memory checkpoint store. Each row plays one race across the seam and checks the
 * promises that span it: no two runners of a unit process at once, each processor hears exactly
 * one ending, and no checkpoint covers a record that was not processed.
 */
class LeaseSeamTest {

    private static final UnitId A = UnitId.kafka("orders", 0);
    private static final WorkerId ME = WorkerId.of("worker-a");
    private static final Duration DRAIN = Duration.ofSeconds(10);
    private static final long RECORDS = 6;

    private final ManualScheduler scheduler = new ManualScheduler();
    private final MonotonicClock time = MonotonicClock.startingAt(scheduler.clock.instant(), scheduler::nanoTime);
    private final ScriptedLeaseNodes leases = new ScriptedLeaseNodes("session-a");
    private final CheckpointStore store = new InMemoryCheckpointTable(scheduler.clock).store("seam");
    private final List<String> stuck = new ArrayList<>();
    private final WorkerSettings settings = new WorkerSettings(new CheckpointPolicy(Duration.ZERO),
            new Backoff(3, Duration.ofMillis(1), Duration.ofMillis(5)), 2)
            .withStuckHandling(Duration.ofSeconds(60), stuck::add);
    /** Every runner started, in order; a runner's processor is its row here. */
    private final List<Runner> runners = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private final List<Long> processed = new ArrayList<>();
    private ManualScheduler.Hold hold;
    /** The offset whose batch waits on {@link #hold}; -1: none does. */
    private long holdAt = -1;
    private boolean holdShardEnd;
    private boolean validity = true;
    private boolean shardEnds;
    private LeaseKeeper keeper;

    /** One runner's processor: what it heard, and whether a callback of it is running. */
    private final class Runner implements RecordProcessor {
        final List<String> calls = new ArrayList<>();

        private void enter(String call) {
            for (Runner other : runners) {
                if (other.inside) {
                    violations.add(call + " while another callback of the unit runs");
                }
            }
            calls.add(call);
        }

        boolean inside;

        @Override
        public void initialize(ProcessorContext context) {
            enter("initialize");
        }

        @Override
        public void process(RecordBatch batch, Checkpointer checkpointer) {
            long first = ((Position.Offset) batch.records().get(0).position()).nextOffset() - 1;
            enter("process " + first);
            inside = true;
            try {
                if (first == holdAt) {
                    hold.await();
                }
                batch.records().forEach(r -> processed.add(((Position.Offset) r.position()).nextOffset() - 1));
            } finally {
                inside = false;
            }
        }

        @Override
        public void revoked(RevokeContext context, Checkpointer checkpointer) {
            enter("revoked");
            checkpointer.checkpoint();
        }

        @Override
        public void lost(LostContext context) {
            enter("lost");
        }

        @Override
        public void shardEnded(ShardEndContext context, Checkpointer checkpointer) {
            enter("shardEnded");
            if (holdShardEnd) {
                inside = true;
                try {
                    hold.await();
                } finally {
                    inside = false;
                }
            }
        }

        long endings() {
            return calls.stream().filter(c -> c.equals("revoked") || c.equals("lost") || c.equals("shardEnded")).count();
        }
    }

    /** A partition of {@value #RECORDS} records, one per fetch, read from where the claim says. */
    private final class Partition implements RecordSource {
        private long next;

        Partition(Checkpoint claimed) {
            this.next = claimed.position().map(p -> ((Position.Offset) p).nextOffset()).orElse(0L);
        }

        @Override
        public Fetch fetch() {
            if (next >= RECORDS) {
                return new Fetch(List.of(), OptionalLong.empty(), OptionalLong.of(0), shardEnds, Optional.empty());
            }
            long offset = next++;
            return new Fetch(List.of(new StreamRecord(A, new Position.Offset(offset + 1), "k", new byte[] {(byte) offset},
                    Instant.EPOCH)), OptionalLong.empty(), OptionalLong.of(0), false, Optional.empty());
        }

        @Override
        public Duration nextDelay(Fetch last) {
            return Duration.ofMillis(5);
        }

        @Override
        public void close() {
        }
    }

    @BeforeEach
    void start() {
        hold = scheduler.newHold();
        keeper = new LeaseKeeper(leases, ME, "domain-1", store, context -> {
            Runner runner = new Runner();
            runners.add(runner);
            return UnitRunner.start(context, new Partition(context.claimed()), unit -> runner, scheduler, scheduler::execute,
                    settings, time, UnitMetrics.unregistered(context.unit()), new StalledUnits());
        }, DRAIN, scheduler, scheduler::execute, () -> validity);
        keeper.start();
        scheduler.runReady();
    }

    private Optional<Long> stored() {
        return store.read(A).flatMap(Checkpoint::position).map(p -> ((Position.Offset) p).nextOffset());
    }

    /** The promises that span the seam, checked after every row. */
    private void promisesHold() {
        assertThat(runners).as("the row started a unit").isNotEmpty();
        assertThat(violations).as("callbacks of one unit that overlapped").isEmpty();
        for (Runner runner : runners.subList(0, runners.size() - 1)) {
            assertThat(runner.endings()).as("endings of an earlier runner: %s", runner.calls).isEqualTo(1);
        }
        stored().ifPresent(position -> assertThat(processed).as("a checkpoint covers only processed records")
                .containsAll(java.util.stream.LongStream.range(0, position).boxed().toList()));
    }

    @Test
    void aLostSessionDuringAHungBatchStartsNoSecondRunnerBesideIt() {
        holdAt = 2;
        leases.assign(1, A);
        scheduler.advance(Duration.ofMillis(100));
        assertThat(runners.get(0).calls).last().isEqualTo("process 2");

        keeper.sessionLost();
        leases.assign(2, A);
        scheduler.advance(Duration.ofSeconds(5));
        assertThat(runners).as("not beside the batch in hand").hasSize(1);
        assertThat(keeper.states()).containsEntry(A, UnitState.LOST);

        hold.release();
        scheduler.advance(Duration.ofSeconds(1));
        assertThat(runners).hasSize(2);
        assertThat(runners.get(0).calls).last().isEqualTo("lost");
        assertThat(processed).contains(5L);
        promisesHold();
    }

    @Test
    void aLeaseThatDidNotSurviveAReconnectIsTakenAgainOnlyAfterTheHungBatchReturned() {
        holdAt = 1;
        leases.assign(1, A);
        scheduler.advance(Duration.ofMillis(100));
        keeper.suspended();
        leases.sessionMoved = true;
        keeper.reconnected();
        scheduler.advance(Duration.ofSeconds(5));
        assertThat(runners).as("not beside the batch in hand").hasSize(1);

        leases.sessionMoved = false;
        hold.release();
        scheduler.advance(Duration.ofSeconds(1));
        assertThat(runners).hasSize(2);
        assertThat(keeper.states()).containsEntry(A, UnitState.READING);
        promisesHold();
    }

    @Test
    void aBatchThatNeverReturnsAfterALostSessionIsTheStuckHandlers() {
        holdAt = 1;
        leases.assign(1, A);
        scheduler.advance(Duration.ofMillis(100));
        keeper.sessionLost();
        scheduler.advance(Duration.ofSeconds(61));

        assertThat(stuck).singleElement().asString().contains("after it was dropped");
        assertThat(runners).hasSize(1);
        hold.release();
        scheduler.advance(Duration.ofSeconds(1));
        promisesHold();
    }

    @Test
    void aShardEndDuringASuspensionEndsTheUnitOnceAndReportsIt() {
        shardEnds = true;
        holdShardEnd = true;
        leases.assign(1, A);
        scheduler.advance(Duration.ofMillis(200));
        assertThat(runners.get(0).calls).last().isEqualTo("shardEnded");

        keeper.suspended();
        hold.release();
        scheduler.advance(Duration.ofSeconds(1));

        assertThat(store.read(A).orElseThrow().isEnded()).isTrue();
        assertThat(leases.endedReports).containsExactly(A);
        assertThat(leases.lease(A)).isEmpty();
        assertThat(runners).hasSize(1);
        assertThat(runners.get(0).endings()).isEqualTo(1);
        assertThat(processed).hasSize((int) RECORDS);
        promisesHold();
    }

    @Test
    void anEndedReportThatFailsIsWrittenLaterAndTheUnitIsNotReadAgain() {
        shardEnds = true;
        leases.failingEndedReports = 1;
        leases.assign(1, A);
        scheduler.advance(Duration.ofMillis(200));
        assertThat(leases.endedReports).isEmpty();

        scheduler.advance(Duration.ofSeconds(3));
        assertThat(leases.endedReports).containsExactly(A);
        assertThat(runners).hasSize(1);
        promisesHold();
    }

    @Test
    void aRevokeWhileTheLeaseIsCreatedStartsNoRunnerAndLeavesNoLease() {
        leases.holdCreates = true;
        leases.assign(1, A);
        scheduler.runReady();
        leases.assign(2);
        scheduler.runReady();
        leases.releaseCreates();
        scheduler.advance(Duration.ofSeconds(1));

        assertThat(runners).isEmpty();
        assertThat(leases.lease(A)).isEmpty();
        assertThat(keeper.states()).isEmpty();
        // And it can still be taken afterwards, once.
        leases.holdCreates = false;
        leases.assign(3, A);
        scheduler.advance(Duration.ofMillis(100));
        assertThat(runners).hasSize(1);
        promisesHold();
    }

    @Test
    void aReconnectDuringADrainDoesNotResumeTheDrainingUnit() {
        holdAt = 2;
        leases.assign(1, A);
        scheduler.advance(Duration.ofMillis(100));
        leases.assign(2);
        scheduler.runReady();
        assertThat(keeper.states()).containsEntry(A, UnitState.DRAINING);

        keeper.suspended();
        keeper.reconnected();
        scheduler.runReady();
        hold.release();
        scheduler.advance(Duration.ofSeconds(1));

        Runner runner = runners.get(0);
        assertThat(runner.calls).as("nothing after the revoke").last().isEqualTo("revoked");
        assertThat(runner.calls).doesNotContain("process 3");
        assertThat(stored()).as("the final checkpoint names the last processed record").contains(3L);
        assertThat(leases.lease(A)).isEmpty();
        assertThat(keeper.states()).isEmpty();
        promisesHold();
    }

    @Test
    void aHandOverWhoseLeaseMayHaveLapsedSaysLostNotRevoked() {
        // Fleet simulation seed 1113: a worker frozen past its session is told to leave; thawed, it hands its
        // units over before it hears that its session expired, while another worker already reads them.
        leases.assign(1, A);
        scheduler.advance(Duration.ofMillis(12));
        validity = false;
        keeper.handOver();
        scheduler.advance(Duration.ofSeconds(1));
        Runner runner = runners.get(0);
        assertThat(runner.calls).as("no ending while a confirmation may still come").doesNotContain("revoked", "lost");
        scheduler.advance(CoordinatorConfig.DEFAULT_DRAIN_TIMEOUT);

        assertThat(runner.calls).as("the runner started").contains("initialize");
        assertThat(runner.calls).as("never confirmed again by the deadline: another worker may own the unit")
                .last().isEqualTo("lost");
        promisesHold();
    }

    @Test
    void aLapsedSessionConfirmationHandsOutNoBatch() {
        leases.assign(1, A);
        scheduler.advance(Duration.ofMillis(12));
        int before = processed.size();
        validity = false;
        scheduler.advance(Duration.ofSeconds(1));
        assertThat(processed).as("nothing processed while the leases are not confirmed").hasSize(before);
        assertThat(before).as("the row read something before").isLessThan((int) RECORDS);

        validity = true;
        scheduler.advance(Duration.ofSeconds(1));
        assertThat(processed).hasSize((int) RECORDS);
        promisesHold();
    }
}
