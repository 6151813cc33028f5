package dev.streamfleet.worker.internal.parallel;

import dev.streamfleet.worker.Ordering;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.StreamRecord;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KeyLanesTest {

    private static final UnitId UNIT = UnitId.kafka("orders", 0);

    private static StreamRecord record(long offset, String key) {
        return new StreamRecord(UNIT, new Position.Offset(offset + 1), key, new byte[0], Instant.EPOCH);
    }

    private static List<String> keys(KeyLanes.LaneBatch batch) {
        return batch.records().stream().map(r -> r.partitionKey() + r.position()).toList();
    }

    @Test
    void twoBatchesOfOneKeyAreNeverHandedOutAtOnce() {
        KeyLanes lanes = new KeyLanes(Ordering.KEY, 8, 2);
        lanes.add(0, record(0, "a"));
        lanes.add(1, record(1, "a"));
        lanes.add(2, record(2, "a"));
        lanes.add(3, record(3, "b"));

        KeyLanes.LaneBatch first = lanes.next().orElseThrow();
        KeyLanes.LaneBatch second = lanes.next().orElseThrow();
        assertThat(first.ordinals()).containsExactly(0L, 1L);
        assertThat(second.ordinals()).containsExactly(3L);
        assertThat(lanes.next()).as("a's third record waits for a's first batch").isEmpty();

        lanes.done(first);
        assertThat(lanes.next().orElseThrow().ordinals()).containsExactly(2L);
    }

    @Test
    void noMoreThanParallelismLanesRunAtOnce() {
        KeyLanes lanes = new KeyLanes(Ordering.KEY, 2, 10);
        for (int i = 0; i < 5; i++) {
            lanes.add(i, record(i, "k" + i));
        }
        List<KeyLanes.LaneBatch> running = new ArrayList<>();
        Optional<KeyLanes.LaneBatch> next;
        while ((next = lanes.next()).isPresent()) {
            running.add(next.get());
        }
        assertThat(running).hasSize(2);
        assertThat(lanes.busy()).isEqualTo(2);
        assertThat(lanes.queued()).isEqualTo(3);
    }

    @Test
    void eachKeysRecordsComeOutInStreamOrderWhateverTheInterleaving() {
        KeyLanes lanes = new KeyLanes(Ordering.KEY, 3, 3);
        String[] keys = {"a", "b", "a", "c", "a", "b", "", "", "c", "a"};
        for (int i = 0; i < keys.length; i++) {
            lanes.add(i, record(i, keys[i]));
        }
        List<Long> seenA = new ArrayList<>();
        List<Long> seenKeyless = new ArrayList<>();
        Optional<KeyLanes.LaneBatch> next;
        List<KeyLanes.LaneBatch> open = new ArrayList<>();
        while (lanes.queued() > 0 || !open.isEmpty()) {
            while ((next = lanes.next()).isPresent()) {
                open.add(next.get());
            }
            KeyLanes.LaneBatch finished = open.remove(open.size() - 1); // finish the newest first
            if (finished.lane().equals("a")) {
                seenA.addAll(finished.ordinals());
            } else if (finished.lane().isEmpty()) {
                seenKeyless.addAll(finished.ordinals());
            }
            lanes.done(finished);
        }
        assertThat(seenA).containsExactly(0L, 2L, 4L, 9L);
        assertThat(seenKeyless).as("records without a key are ordered among themselves").containsExactly(6L, 7L);
    }

    @Test
    void unitOrderingRunsOneBatchAtATime() {
        KeyLanes lanes = new KeyLanes(Ordering.UNIT, 16, 100);
        lanes.add(0, record(0, "a"));
        lanes.add(1, record(1, "b"));
        assertThat(keys(lanes.next().orElseThrow())).hasSize(2);
        lanes.add(2, record(2, "c"));
        assertThat(lanes.next()).isEmpty();
    }

    @Test
    void noOrderingRunsEveryRecordOnItsOwn() {
        KeyLanes lanes = new KeyLanes(Ordering.NONE, 16, 100);
        lanes.add(0, record(0, "a"));
        lanes.add(1, record(1, "a"));
        assertThat(lanes.next().orElseThrow().ordinals()).containsExactly(0L);
        assertThat(lanes.next().orElseThrow().ordinals()).containsExactly(1L);
    }

    @Test
    void oneBusyLaneAndBatchesOfOneAreAllowedButNoneIsNot() {
        KeyLanes lanes = new KeyLanes(Ordering.KEY, 1, 1);
        lanes.add(0, record(0, "a"));
        lanes.add(1, record(1, "a"));
        lanes.add(2, record(2, "b"));

        assertThat(lanes.next().orElseThrow().ordinals()).containsExactly(0L);
        assertThat(lanes.next()).as("one lane busy at most").isEmpty();
        assertThatThrownBy(() -> new KeyLanes(Ordering.KEY, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new KeyLanes(Ordering.KEY, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
