package dev.streamfleet.coordinator.internal.zk;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SessionConfirmationsTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final SessionConfirmations confirmations = new SessionConfirmations(Duration.ofSeconds(3), now::get);

    private void advance(Duration by) {
        now.addAndGet(by.toNanos());
    }

    @Test
    void leasesAreNotCurrentBeforeTheFirstConfirmation() {
        assertThat(confirmations.current()).isFalse();
    }

    @Test
    void frozenWorkerDoesNotTrustItsLeasesOnceTwoThirdsOfTheTimeoutPassedSinceTheLastConfirmedSend() {
        long sent = confirmations.now();
        advance(Duration.ofMillis(100));
        confirmations.confirmed(sent);
        advance(Duration.ofMillis(1_850));
        assertThat(confirmations.current()).isTrue();

        advance(Duration.ofMillis(60));
        assertThat(confirmations.current()).as("2,010 ms after the send, with a 3 s session").isFalse();
    }

    @Test
    void lateAnswerToAnOldQuestionDoesNotExtendTheLeases() {
        long old = confirmations.now();
        advance(Duration.ofSeconds(1));
        long recent = confirmations.now();
        confirmations.confirmed(recent);
        confirmations.confirmed(old);
        advance(Duration.ofMillis(1_900));
        assertThat(confirmations.current()).isTrue();
        advance(Duration.ofMillis(200));
        assertThat(confirmations.current()).isFalse();
    }

    @Test
    void askingFourTimesPerTimeoutKeepsLeasesCurrentBetweenAsks() {
        assertThat(SessionConfirmations.interval(Duration.ofSeconds(4))).isEqualTo(Duration.ofSeconds(1));
        assertThat(SessionConfirmations.interval(Duration.ofSeconds(4)).multipliedBy(2))
                .isLessThan(Duration.ofSeconds(4).multipliedBy(2).dividedBy(3));
    }
}
