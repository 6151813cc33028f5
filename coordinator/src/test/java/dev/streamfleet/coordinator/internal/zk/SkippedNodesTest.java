package dev.streamfleet.coordinator.internal.zk;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SkippedNodesTest {

    private final SkippedNodes skipped = new SkippedNodes();

    @Test
    void aBadNodeRewrittenWithOtherBadValuesIsCountedOnce() {
        for (int value = 0; value < 8; value++) {
            skipped.skipped("/streamfleet/app/loads/w9", "'0." + value + "' is not a number", "x");
        }
        assertThat(skipped.count()).isEqualTo(1);
    }

    @Test
    void aBadNodeIsSkippedUntilItReadsFineOrIsNoLongerListed() {
        skipped.skipped("/streamfleet/app/loads/w1", "'x' is not a number", "x");
        skipped.skipped("/streamfleet/app/loads/w2", "'y' is not a number", "x");
        assertThat(skipped.skips("/streamfleet/app/loads/w1")).isTrue();

        skipped.fine("/streamfleet/app/loads/w1");
        skipped.listed("/streamfleet/app/loads", List.of("w1"));

        assertThat(skipped.skips("/streamfleet/app/loads/w1")).isFalse();
        assertThat(skipped.skips("/streamfleet/app/loads/w2")).isFalse();
    }

    @Test
    void aBadNodeThatReadFineCountsAgainWhenItTurnsBad() {
        skipped.skipped("/streamfleet/app/assignments/w1", "'{}' has no generation", "x");
        skipped.fine("/streamfleet/app/assignments/w1");
        skipped.skipped("/streamfleet/app/assignments/w1", "'{}' has no generation", "x");

        assertThat(skipped.count()).isEqualTo(2);
    }

    @Test
    void aBadNodeNoLongerListedUnderItsParentCountsAgainWhenItComesBack() {
        skipped.skipped("/streamfleet/app/workers/not:a-worker", "'not:a-worker' is not a worker id", "x");
        skipped.listed("/streamfleet/app/workers", List.of("w1"));
        skipped.skipped("/streamfleet/app/workers/not:a-worker", "'not:a-worker' is not a worker id", "x");

        assertThat(skipped.count()).isEqualTo(2);
    }

    @Test
    void aListingForgetsNeitherItsListedChildrenNorNodesUnderOtherParents() {
        skipped.skipped("/streamfleet/app/workers/ghost", "a persistent node", "x");
        skipped.skipped("/streamfleet/app/workers-old/w1", "not ours", "x");
        skipped.skipped("/streamfleet/app/ended/kafka~orders~0/by-hand", "a child of a report", "x");
        skipped.listed("/streamfleet/app/workers", List.of("ghost", "w1"));
        skipped.listed("/streamfleet/app/ended", List.of());

        skipped.skipped("/streamfleet/app/workers/ghost", "a persistent node", "x");
        skipped.skipped("/streamfleet/app/workers-old/w1", "not ours", "x");
        skipped.skipped("/streamfleet/app/ended/kafka~orders~0/by-hand", "a child of a report", "x");
        assertThat(skipped.count()).isEqualTo(3);
    }

    @Test
    void goneNodesLeaveRoomInTheMemoryForNewOnes() {
        for (int node = 0; node < SkippedNodes.REMEMBERED; node++) {
            skipped.skipped("/streamfleet/app/leases/bad-" + node, "not a unit id", "x");
        }
        skipped.listed("/streamfleet/app/leases", List.of());
        skipped.skipped("/streamfleet/app/leases/another", "not a unit id", "x");

        assertThat(skipped.count()).isEqualTo(SkippedNodes.REMEMBERED + 1);
    }

    @Test
    void pastTheMemoryFurtherBadNodesAreNotCountedAndTheRememberedOnesNeverAgain() {
        for (int read = 0; read < 2; read++) {
            for (int node = 0; node < SkippedNodes.REMEMBERED + 5; node++) {
                skipped.skipped("/streamfleet/app/leases/bad-" + node, "not a unit id", "x");
            }
        }
        assertThat(skipped.count()).isEqualTo(SkippedNodes.REMEMBERED);
    }
}
