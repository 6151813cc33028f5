package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.internal.memory.InMemoryCheckpointTable;
import dev.streamfleet.coordinator.LeaseValidity;
import dev.streamfleet.coordinator.UnitContext;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.MonotonicClock;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.Fetch;
import dev.streamfleet.worker.RecordSource;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Optional;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class UnitCheckpointsTest {

    private static final UnitId UNIT = UnitId.kafka("orders", 0);

    /** A wall clock the test sets, forward or back. */
    private static final class SetClock extends Clock {
        Instant now = Instant.parse("2026-12-08T00:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private static final RecordSource NOTHING = new RecordSource() {
        @Override
        public Fetch fetch() {
            return new Fetch(new ArrayList<>(), OptionalLong.empty(), OptionalLong.empty(), false,
                    Optional.empty());
        }

        @Override
        public Duration nextDelay(Fetch last) {
            return Duration.ofSeconds(1);
        }

        @Override
        public void close() {
        }
    };

    /**
     * Found by the simulation's clock steps (seed 107), when the wait was measured on the wall clock:
     * a unit whose write failed wrote nothing for as long as the step. The wait now runs on the
     * units' monotonic clock, which only starts at the wall clock's time.
     */
    @Test
    void aWallClockSteppedBackDuringTheWaitAfterAFailedWriteDoesNotLengthenIt() {
        CheckpointStore real = new InMemoryCheckpointTable().store("checkpoints-test");
        FaultingStore store = new FaultingStore(real).failAfter(0, 1, FaultingStore.Fault.UNAVAILABLE);
        Epoch epoch = new Epoch("zk-test", 1);
        UnitContext context = new UnitContext(UNIT, epoch, WorkerId.of("w1"), store.claim(UNIT, epoch, "w1"), store,
                new RecordingUnitEvents(new ArrayList<>()), LeaseValidity.ALWAYS);
        SetClock wall = new SetClock();
        long[] nanos = {0};
        UnitCheckpoints checkpoints = new UnitCheckpoints(context, NOTHING, UnitMetrics.unregistered(UNIT),
                new StalledUnits(), MonotonicClock.startingAt(wall.instant(), () -> nanos[0]));

        assertThat(checkpoints.write(new Position.Offset(10), FinishedBeyond.NONE))
                .isEqualTo(UnitCheckpoints.Outcome.RETRY_LATER);
        assertThat(checkpoints.backingOff()).as("just after the failure").isTrue();

        wall.now = wall.now.minus(Duration.ofSeconds(90));
        nanos[0] += UnitCheckpoints.RETRY_AFTER.toNanos() - 1;
        assertThat(checkpoints.backingOff()).as("the wall clock stepped back 90 s: still the same wait").isTrue();
        nanos[0] += 1;
        assertThat(checkpoints.backingOff()).as("the wait is over after its 1 s, not 90 s later").isFalse();
        assertThat(checkpoints.write(new Position.Offset(10), FinishedBeyond.NONE))
                .isEqualTo(UnitCheckpoints.Outcome.WRITTEN);
        assertThat(real.read(UNIT).flatMap(Checkpoint::position)).contains(new Position.Offset(10));
    }
}
