package dev.streamfleet.coordinator;

import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.internal.memory.InMemoryCheckpointTable;
import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A unit whose checkpoint row this build does not trust, as the lease keeper handles it: FAILED
 * with the row's reason and its lease kept, instead of started from its initial position or
 * claimed again in a loop; the other units go on.
 */
class QuarantinedRowClaimTest {

    private static final String APP = "app";
    private static final UnitId A = UnitId.kafka("orders", 0);
    private static final UnitId B = UnitId.kafka("orders", 1);
    private static final String REASON = "attribute 'pos' is the number 1042, not a position string";

    private final ManualScheduler scheduler = new ManualScheduler();
    private final ScriptedLeaseNodes leases = new ScriptedLeaseNodes("session-a");
    private final InMemoryCheckpointTable table = new InMemoryCheckpointTable(scheduler.clock);
    private final List<ScriptedWork> started = new ArrayList<>();
    private CheckpointStore store;
    private LeaseKeeper keeper;

    @BeforeEach
    void start() {
        store = table.store(APP);
        keeper = new LeaseKeeper(leases, WorkerId.of("worker-a"), "domain-1", store, context -> {
            ScriptedWork work = new ScriptedWork(context);
            started.add(work);
            return work;
        }, Duration.ofSeconds(10), scheduler, scheduler::execute, () -> true);
        keeper.start();
        scheduler.runReady();
    }

    @Test
    void aQuarantinedRowLeavesItsUnitFailedWithTheReasonAndTheOtherUnitsRead() {
        table.quarantine(APP, A, REASON);
        leases.assign(1, A, B);
        scheduler.runReady();

        assertThat(keeper.states()).containsEntry(A, UnitState.FAILED).containsEntry(B, UnitState.READING);
        assertThat(keeper.failures()).containsEntry(A, "checkpoint row quarantined: " + REASON);
        assertThat(started).as("only B started: A was not read from an initial position")
                .extracting(work -> work.context.unit()).containsExactly(B);

        scheduler.advance(Duration.ofMinutes(5));
        assertThat(keeper.states()).as("not claimed again and again").containsEntry(A, UnitState.FAILED);
        assertThat(leases.lease(A)).as("kept, so that no worker of an older build reads the row as never checkpointed")
                .isPresent();
        assertThat(store.read(A).orElseThrow().quarantined()).contains(REASON);
    }

    @Test
    void aRevokedQuarantinedUnitGivesItsLeaseUpAtOnce() {
        table.quarantine(APP, A, REASON);
        leases.assign(1, A);
        scheduler.runReady();

        leases.assign(2);
        scheduler.runReady();

        assertThat(leases.lease(A)).isEmpty();
        assertThat(keeper.states()).isEmpty();
        assertThat(keeper.failures()).isEmpty();
    }

    @Test
    void anOperatorsResetRepairsTheRowAndTheUnitIsReadFromThereWithoutARestart() {
        table.quarantine(APP, A, REASON);
        leases.assign(1, A);
        scheduler.runReady();

        // 'streamfleet checkpoints reset' writes the row, then deletes the lease so that its holder claims again.
        store.reset(A, new Position.Offset(1042));
        leases.deletedBySomeone(A);
        scheduler.advance(Duration.ofSeconds(5));

        assertThat(keeper.states()).containsEntry(A, UnitState.READING);
        assertThat(started).singleElement().satisfies(work -> assertThat(work.context.claimed().position())
                .contains(new Position.Offset(1042)));
    }

    @Test
    void aLostSessionDropsAQuarantinedUnitLikeAnyOtherAndTheNewSessionFindsTheRowStillBad() {
        table.quarantine(APP, A, REASON);
        leases.assign(1, A);
        scheduler.runReady();
        long first = leases.lease(A).orElseThrow().czxid();

        keeper.sessionLost();
        scheduler.runReady();

        assertThat(leases.lease(A).orElseThrow().czxid()).as("taken again under the new session").isGreaterThan(first);
        assertThat(keeper.states()).containsEntry(A, UnitState.FAILED);
        assertThat(keeper.failures().get(A)).contains(REASON);
    }

    @Test
    void aRowThatStopsBeingTrustedWhileItsUnitReadsIsNotWrittenOver() {
        leases.assign(1, A);
        scheduler.runReady();
        Epoch epoch = started.get(0).context.epoch();
        table.quarantine(APP, A, REASON);

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.checkpoint(A, new Position.Offset(7), epoch))
                .isInstanceOf(dev.streamfleet.checkpoint.QuarantinedRowException.class).hasMessageContaining(REASON);
    }
}
