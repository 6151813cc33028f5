package dev.streamfleet.coordinator.internal.zk;

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
    void aBadNodeThatReadFineCountsAgainWhenItTurnsBad() {
        skipped.skipped("/streamfleet/app/assignments/w1", "'{}' has no generation", "x");
        skipped.fine("/streamfleet/app/assignments/w1");
        skipped.skipped("/streamfleet/app/assignments/w1", "'{}' has no generation", "x");

        assertThat(skipped.count()).isEqualTo(2);
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
