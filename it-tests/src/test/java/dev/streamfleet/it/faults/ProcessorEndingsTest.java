package dev.streamfleet.it.faults;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The callback claims judged on made-up callback logs: no servers, no clocks. */
class ProcessorEndingsTest {

    private final List<ProcessorEndings.Event> events = new ArrayList<>();
    private long micros;

    private void heard(String worker, String instance, String... heard) {
        for (String event : heard) {
            events.add(new ProcessorEndings.Event(worker, micros++, instance, "kafka/t/0", event));
        }
    }

    private List<String> findings(Set<String> stoppedCleanly) {
        return new ProcessorEndings().judge(events, stoppedCleanly).findings();
    }

    @Test
    void initializeBatchesAndOneEndingThatReturnedGiveNoFinding() {
        heard("w1", "1.1", "initialize", "process", "processed", "revoked", "returned");
        heard("w1", "1.2", "initialize", "process", "processed", "shardEnded", "returned");
        heard("w2", "2.1", "initialize", "lost", "returned");

        ProcessorEndings endings = new ProcessorEndings().judge(events, Set.of("w1", "w2"));

        assertThat(endings.findings()).isEmpty();
        assertThat(endings.summary()).isEqualTo("3 processor instances, endings {lost=1, revoked=1, shardEnded=1}, 3 owed one");
    }

    @Test
    void aSecondEndingIsAFinding() {
        heard("w1", "1.1", "initialize", "revoked", "returned", "lost", "returned");

        assertThat(findings(Set.of("w1"))).containsExactly("processor 1.1 of kafka/t/0 on w1 heard lost after revoked");
    }

    @Test
    void anEndingDuringABatchIsAFinding() {
        heard("w1", "1.1", "initialize", "process", "lost", "returned", "processed");

        assertThat(findings(Set.of())).containsExactly(
                "processor 1.1 of kafka/t/0 on w1 heard lost while 1 batch(es) were in hand",
                "processor 1.1 of kafka/t/0 on w1 heard processed after lost");
    }

    @Test
    void aBatchAfterTheEndingIsAFinding() {
        heard("w1", "1.1", "initialize", "revoked", "returned", "process", "processed");

        assertThat(findings(Set.of())).containsExactly("processor 1.1 of kafka/t/0 on w1 heard process after revoked",
                "processor 1.1 of kafka/t/0 on w1 heard processed after revoked");
    }

    @Test
    void aCallbackBeforeInitializeIsAFinding() {
        heard("w1", "1.1", "process", "processed");

        assertThat(findings(Set.of())).containsExactly("processor 1.1 of kafka/t/0 on w1 heard process before initialize");
    }

    @Test
    void aWorkerThatStoppedCleanlyOwesEveryInstanceAnEndingThatReturnedAKilledOneDoesNot() {
        heard("w1", "1.1", "initialize", "process", "processed");
        heard("w1", "1.2", "initialize", "revoked");
        heard("w2", "2.1", "initialize", "process", "processed");

        assertThat(findings(Set.of("w1"))).containsExactly(
                "processor 1.1 of kafka/t/0 on w1 heard no revoked, lost or shardEnded, though its worker stopped cleanly",
                "processor 1.2 of kafka/t/0 on w1's revoked never returned, though its worker stopped cleanly");
    }

    @Test
    void aKilledWorkersLogThatEndsInsideABatchCountsThatBatchAsInHand() {
        heard("w1", "1.1", "initialize", "process", "processed", "process");
        heard("w1", "1.2", "initialize", "process");
        heard("w2", "2.1", "initialize", "process", "processed");

        ProcessorEndings endings = new ProcessorEndings().judge(events, Set.of());

        assertThat(endings.inHandAtEnd(Set.of("w1", "w2", "w3"))).isEqualTo(Map.of("w1", 2, "w2", 0, "w3", 0));
    }

    @Test
    void noCallbackAtAllIsAFinding() {
        assertThat(findings(Set.of())).containsExactly("no processor callback was recorded: the checks on endings saw nothing");
    }

    @Test
    void instancesOfTwoWorkersWithTheSameProcessIdAreKeptApart() {
        heard("w1", "4242.1", "initialize", "revoked", "returned");
        heard("w2", "4242.1", "initialize", "lost", "returned");

        ProcessorEndings endings = new ProcessorEndings().judge(events, Set.of("w1", "w2"));

        assertThat(endings.findings()).isEmpty();
        assertThat(endings.summary()).startsWith("2 processor instances");
    }
}
