package dev.streamfleet.coordinator;

import dev.streamfleet.checkpoint.internal.memory.InMemoryCheckpointTable;
import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An assignment node this version cannot read (written by another version, a tool or an
 * operator) is never taken as "no units": the keeper keeps what it holds, does not poll, and
 * follows the next readable assignment.
 */
class UnreadableAssignmentTest {

    private static final UnitId A = UnitId.kafka("orders", 0);
    private static final UnitId B = UnitId.kafka("orders", 1);

    private final ManualScheduler scheduler = new ManualScheduler();
    private final ScriptedLeaseNodes leases = new ScriptedLeaseNodes("session-a");
    private final List<ScriptedWork> started = new ArrayList<>();
    private LeaseKeeper keeper;

    @BeforeEach
    void start() {
        keeper = new LeaseKeeper(leases, WorkerId.of("worker-a"), "domain-1",
                new InMemoryCheckpointTable(scheduler.clock).store("app"), context -> {
                    ScriptedWork work = new ScriptedWork(context);
                    started.add(work);
                    return work;
                }, Duration.ofSeconds(10), scheduler, scheduler::execute, () -> true);
        keeper.start();
        scheduler.runReady();
        leases.assign(1, A, B);
        scheduler.runReady();
        assertThat(keeper.states()).containsExactlyInAnyOrderEntriesOf(Map.of(A, UnitState.READING, B, UnitState.READING));
    }

    @Test
    void anUnreadableAssignmentKeepsEveryUnitHeldInsteadOfRevokingThem() {
        leases.assignUnreadable("{} lacks 'generation'");
        scheduler.advance(Duration.ofMinutes(1));

        assertThat(keeper.states()).containsExactlyInAnyOrderEntriesOf(Map.of(A, UnitState.READING, B, UnitState.READING));
        assertThat(started).allSatisfy(work -> assertThat(work.commands).isEmpty());
    }

    @Test
    void itIsReadAgainOnTheNextChangeNotPolled() {
        int readsBefore = leases.assignmentReads;
        leases.assignUnreadable("units is a string");
        scheduler.advance(Duration.ofMinutes(1));
        assertThat(leases.assignmentReads).as("one read for the change, none after").isEqualTo(readsBefore + 1);

        leases.assign(2, A);
        scheduler.runReady();

        assertThat(keeper.states()).containsEntry(A, UnitState.READING).containsEntry(B, UnitState.DRAINING);
    }
}
