package dev.streamfleet.checkpoint;

import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The semantics every {@link CheckpointStore} must have. Subclasses supply a store; the same
 * suite runs against the in-memory store (unit tests) and DynamoDB on dynalite (it-tests).
 */
public abstract class CheckpointStoreContract {

    protected static final String DOMAIN = "zk-main";
    private static final UnitId SHARD = UnitId.kinesis("orders", "shardId-000000000001");
    private static final UnitId PARTITION = UnitId.kafka("payments", 3);

    protected CheckpointStore store;
    private ExecutorService executor;

    /** A store for {@code application}; every test uses fresh application names. */
    protected abstract CheckpointStore storeFor(String application);

    @BeforeEach
    void openStore() {
        store = storeFor(freshApplication());
        executor = Executors.newFixedThreadPool(8);
    }

    @AfterEach
    void stopExecutor() throws InterruptedException {
        executor.shutdownNow();
        executor.awaitTermination(10, TimeUnit.SECONDS);
    }

    protected static String freshApplication() {
        return "app-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static Epoch epoch(long value) {
        return new Epoch(DOMAIN, value);
    }

    private static Position seq(String digits) {
        return Position.Sequence.of(digits);
    }

    @Test
    void staleEpochCannotCheckpoint() {
        store.claim(SHARD, epoch(10), "worker-a");
        store.checkpoint(SHARD, seq("100"), epoch(10));
        store.claim(SHARD, epoch(20), "worker-b");

        assertThatThrownBy(() -> store.checkpoint(SHARD, seq("200"), epoch(10)))
                .isInstanceOf(OwnershipLostException.class)
                .hasMessageContaining(SHARD.toString());
        Checkpoint row = store.read(SHARD).orElseThrow();
        assertThat(row.position()).contains(seq("100"));
        assertThat(row.epoch()).contains(epoch(20));
        assertThat(row.owner()).contains("worker-b");
    }

    @Test
    void staleEpochCannotMarkEnded() {
        store.claim(SHARD, epoch(10), "worker-a");
        store.claim(SHARD, epoch(20), "worker-b");

        assertThatThrownBy(() -> store.markEnded(SHARD, epoch(10))).isInstanceOf(OwnershipLostException.class);
        assertThat(store.read(SHARD).orElseThrow().state()).isEqualTo(CheckpointState.ACTIVE);
    }

    @Test
    void checkpointWithoutAClaimIsRejected() {
        assertThatThrownBy(() -> store.checkpoint(SHARD, seq("1"), epoch(10))).isInstanceOf(OwnershipLostException.class);
        assertThat(store.read(SHARD)).isEmpty();
    }

    @Test
    void claimWithAnOlderOrEqualEpochIsRejected() {
        store.claim(SHARD, epoch(20), "worker-b");

        assertThatThrownBy(() -> store.claim(SHARD, epoch(10), "worker-a")).isInstanceOf(OwnershipLostException.class);
        assertThatThrownBy(() -> store.claim(SHARD, epoch(20), "worker-c")).isInstanceOf(OwnershipLostException.class);
        assertThat(store.read(SHARD).orElseThrow().owner()).contains("worker-b");
    }

    @Test
    void ofEightConcurrentClaimersExactlyOneWins() throws Exception {
        for (int round = 0; round < 5; round++) {
            UnitId unit = UnitId.kinesis("race", "shardId-00000000000" + round);
            CyclicBarrier start = new CyclicBarrier(8);
            List<Future<Boolean>> outcomes = new ArrayList<>();
            for (int claimer = 0; claimer < 8; claimer++) {
                String owner = "worker-" + claimer;
                outcomes.add(executor.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    try {
                        store.claim(unit, epoch(7), owner);
                        return true;
                    } catch (OwnershipLostException e) {
                        return false;
                    }
                }));
            }
            List<String> winners = new ArrayList<>();
            for (int claimer = 0; claimer < 8; claimer++) {
                if (outcomes.get(claimer).get(30, TimeUnit.SECONDS)) {
                    winners.add("worker-" + claimer);
                }
            }
            assertThat(winners).as("winners of round %d", round).hasSize(1);
            assertThat(store.read(unit).orElseThrow().owner()).contains(winners.get(0));
        }
    }

    @Test
    void newOwnerResumesFromThePreviousOwnersCheckpoint() {
        store.claim(PARTITION, epoch(10), "worker-a");
        store.checkpoint(PARTITION, new Position.Offset(42), epoch(10));

        Checkpoint claimed = store.claim(PARTITION, epoch(11), "worker-b");

        assertThat(claimed.position()).contains(new Position.Offset(42));
        assertThat(claimed.epoch()).contains(epoch(11));
        assertThat(claimed.owner()).contains("worker-b");
        assertThat(claimed.state()).isEqualTo(CheckpointState.ACTIVE);
    }

    @Test
    void aNewOwnerLearnsWhichRecordsBeyondTheWatermarkAreFinished() {
        FinishedBeyond finished = new FinishedBeyond.Builder().add(1, 4).add(9).build();
        store.claim(PARTITION, epoch(10), "worker-a");
        store.checkpoint(PARTITION, new Position.Offset(42), finished, epoch(10));

        Checkpoint claimed = store.claim(PARTITION, epoch(11), "worker-b");

        assertThat(claimed.position()).contains(new Position.Offset(42));
        assertThat(claimed.finished()).isEqualTo(finished);
    }

    @Test
    void aLaterCheckpointReplacesTheFinishedRecordsAndAStaleOwnerCannotWriteThem() {
        store.claim(SHARD, epoch(10), "worker-a");
        store.checkpoint(SHARD, seq("500"), new FinishedBeyond.Builder().add(2).build().anchoredAt(seq("501")), epoch(10));
        FinishedBeyond later = new FinishedBeyond.Builder().add(2, 5).build().anchoredAt(seq("501"));
        store.checkpoint(SHARD, seq("500"), later, epoch(10));
        assertThat(store.read(SHARD).orElseThrow().finished()).isEqualTo(later);
        assertThat(store.read(SHARD).orElseThrow().finished().first()).contains(seq("501"));

        store.checkpoint(SHARD, seq("700"), epoch(10));
        assertThat(store.read(SHARD).orElseThrow().finished()).isEqualTo(FinishedBeyond.NONE);

        store.claim(SHARD, epoch(11), "worker-b");
        assertThatThrownBy(() -> store.checkpoint(SHARD, seq("800"), new FinishedBeyond.Builder().add(1).build(), epoch(10)))
                .isInstanceOf(OwnershipLostException.class);
        assertThat(store.read(SHARD).orElseThrow().finished()).isEqualTo(FinishedBeyond.NONE);
    }

    @Test
    void aResetForgetsTheRecordsFinishedBeyondTheOldPosition() {
        store.claim(PARTITION, epoch(10), "worker-a");
        store.checkpoint(PARTITION, new Position.Offset(42), new FinishedBeyond.Builder().add(3).build(), epoch(10));

        store.reset(PARTITION, new Position.Offset(10));

        assertThat(store.claim(PARTITION, epoch(11), "worker-a").finished()).isEqualTo(FinishedBeyond.NONE);
    }

    @Test
    void firstClaimOfAUnitHasNoPosition() {
        Checkpoint claimed = store.claim(SHARD, epoch(1), "worker-a");

        assertThat(claimed.position()).isEmpty();
        assertThat(claimed.unit()).isEqualTo(SHARD);
    }

    @Test
    void positionNeverRegresses() {
        store.claim(PARTITION, epoch(10), "worker-a");
        store.checkpoint(PARTITION, new Position.Offset(100), epoch(10));

        assertThatThrownBy(() -> store.checkpoint(PARTITION, new Position.Offset(99), epoch(10)))
                .isInstanceOf(PositionRegressionException.class);
        store.claim(PARTITION, epoch(11), "worker-b");
        assertThatThrownBy(() -> store.checkpoint(PARTITION, new Position.Offset(50), epoch(11)))
                .isInstanceOf(PositionRegressionException.class);
        assertThat(store.read(PARTITION).orElseThrow().position()).contains(new Position.Offset(100));
    }

    @Test
    void checkpointingTheSamePositionAgainIsHarmless() {
        store.claim(PARTITION, epoch(10), "worker-a");
        store.checkpoint(PARTITION, new Position.Offset(100), epoch(10));
        store.checkpoint(PARTITION, new Position.Offset(100), epoch(10));

        assertThat(store.read(PARTITION).orElseThrow().position()).contains(new Position.Offset(100));
    }

    @Test
    void sequenceNumbersCompareAsNumbersNotAsStrings() {
        store.claim(SHARD, epoch(10), "worker-a");
        store.checkpoint(SHARD, seq("99999"), epoch(10));
        store.checkpoint(SHARD, seq("100000"), epoch(10));

        assertThatThrownBy(() -> store.checkpoint(SHARD, seq("99999"), epoch(10)))
                .isInstanceOf(PositionRegressionException.class);
        String realistic = "49590338271490256608559692538361571095921575989136588898";
        store.checkpoint(SHARD, seq(realistic), epoch(10));
        assertThat(store.read(SHARD).orElseThrow().position()).contains(seq(realistic));
    }

    @Test
    void subSequenceOrdersUserRecordsInsideOneAggregate() {
        BigInteger aggregate = new BigInteger("49590338271490256608559692538361571095921575989136588898");
        store.claim(SHARD, epoch(10), "worker-a");
        store.checkpoint(SHARD, new Position.Sequence(aggregate, 3), epoch(10));

        assertThatThrownBy(() -> store.checkpoint(SHARD, new Position.Sequence(aggregate, 2), epoch(10)))
                .isInstanceOf(PositionRegressionException.class);
        store.checkpoint(SHARD, new Position.Sequence(aggregate, 4), epoch(10));
        store.checkpoint(SHARD, new Position.Sequence(aggregate.add(BigInteger.ONE), 0), epoch(10));
        assertThat(store.read(SHARD).orElseThrow().position())
                .contains(new Position.Sequence(aggregate.add(BigInteger.ONE), 0));
    }

    @Test
    void endedStaysEnded() {
        store.claim(SHARD, epoch(10), "worker-a");
        store.checkpoint(SHARD, seq("500"), epoch(10));
        store.markEnded(SHARD, epoch(10));
        store.markEnded(SHARD, epoch(10));

        assertThatThrownBy(() -> store.checkpoint(SHARD, seq("600"), epoch(10))).isInstanceOf(UnitEndedException.class);
        assertThatThrownBy(() -> store.reset(SHARD, Position.TRIM_HORIZON)).isInstanceOf(UnitEndedException.class);
        Checkpoint reclaimed = store.claim(SHARD, epoch(11), "worker-b");
        assertThat(reclaimed.state()).isEqualTo(CheckpointState.ENDED);
        assertThatThrownBy(() -> store.checkpoint(SHARD, seq("600"), epoch(11))).isInstanceOf(UnitEndedException.class);
        store.clearClaim(SHARD);
        assertThat(store.read(SHARD).orElseThrow().state()).isEqualTo(CheckpointState.ENDED);
        assertThat(store.read(SHARD).orElseThrow().position()).contains(seq("500"));
    }

    @Test
    void resetMayMoveAPositionBackwards() {
        store.claim(SHARD, epoch(10), "worker-a");
        store.checkpoint(SHARD, seq("900"), epoch(10));

        store.reset(SHARD, seq("300"));

        assertThat(store.read(SHARD).orElseThrow().position()).contains(seq("300"));
        Checkpoint reclaimed = store.claim(SHARD, epoch(11), "worker-a");
        assertThat(reclaimed.position()).contains(seq("300"));
        store.checkpoint(SHARD, seq("400"), epoch(11));
        assertThatThrownBy(() -> store.checkpoint(SHARD, seq("200"), epoch(11)))
                .isInstanceOf(PositionRegressionException.class);

        store.reset(SHARD, Position.TRIM_HORIZON);
        assertThat(store.read(SHARD).orElseThrow().position()).contains(Position.TRIM_HORIZON);
        store.claim(SHARD, epoch(12), "worker-a");
        store.checkpoint(SHARD, seq("1"), epoch(12));
        assertThat(store.read(SHARD).orElseThrow().position()).contains(seq("1"));
    }

    @Test
    void ownerReadingDuringAResetCannotWriteOverIt() {
        store.claim(SHARD, epoch(10), "worker-a");
        store.checkpoint(SHARD, seq("900"), epoch(10));

        store.reset(SHARD, seq("100"));

        assertThatThrownBy(() -> store.checkpoint(SHARD, seq("950"), epoch(10))).isInstanceOf(OwnershipLostException.class);
        assertThat(store.read(SHARD).orElseThrow().position()).contains(seq("100"));
        assertThat(store.read(SHARD).orElseThrow().epoch()).isEmpty();
    }

    @Test
    void resetOfAnUnknownUnitLeavesAStartingPointForTheFirstOwner() {
        Instant at = Instant.parse("2026-11-25T06:00:00Z");
        store.reset(PARTITION, new Position.AtTimestamp(at));

        Checkpoint claimed = store.claim(PARTITION, epoch(1), "worker-a");
        assertThat(claimed.position()).contains(new Position.AtTimestamp(at));
        assertThat(claimed.state()).isEqualTo(CheckpointState.ACTIVE);
    }

    @Test
    void seededUnitIsClaimedAtItsStartingPoint() {
        assertThat(store.seed(SHARD, Position.TRIM_HORIZON)).isTrue();

        Checkpoint claimed = store.claim(SHARD, epoch(1), "worker-a");
        assertThat(claimed.position()).contains(Position.TRIM_HORIZON);
        assertThat(claimed.state()).isEqualTo(CheckpointState.ACTIVE);
        store.checkpoint(SHARD, seq("5"), epoch(1));
        assertThat(store.read(SHARD).flatMap(Checkpoint::position)).contains(seq("5"));
    }

    @Test
    void seedNeverOverwritesARowClaimedFirst() {
        store.claim(PARTITION, epoch(7), "worker-a");
        store.checkpoint(PARTITION, new Position.Offset(42), epoch(7));

        assertThat(store.seed(PARTITION, Position.TRIM_HORIZON)).isFalse();
        Checkpoint row = store.read(PARTITION).orElseThrow();
        assertThat(row.position()).contains(new Position.Offset(42));
        assertThat(row.epoch()).contains(epoch(7));
        assertThat(row.owner()).contains("worker-a");
    }

    @Test
    void seedOfAnUnreadUnitClaimedFirstKeepsTheClaim() {
        store.claim(SHARD, epoch(3), "worker-a");

        assertThat(store.seed(SHARD, Position.TRIM_HORIZON)).isFalse();
        assertThat(store.read(SHARD).orElseThrow().position()).isEmpty();
        assertThat(store.read(SHARD).orElseThrow().epoch()).contains(epoch(3));
    }

    @Test
    void seedWithLatestIsRejectedBecauseEveryOwnerWouldResolveItAnew() {
        assertThatThrownBy(() -> store.seed(SHARD, Position.LATEST)).isInstanceOf(IllegalArgumentException.class);
        assertThat(store.read(SHARD)).isEmpty();
    }

    @Test
    void aUnitSeededAtAResolvedOffsetIsClaimedThereAndNeverCheckpointedBehindIt() {
        assertThat(store.seed(PARTITION, new Position.Offset(42))).isTrue();

        Checkpoint claimed = store.claim(PARTITION, epoch(1), "worker-a");
        assertThat(claimed.position()).contains(new Position.Offset(42));
        assertThatThrownBy(() -> store.checkpoint(PARTITION, new Position.Offset(40), epoch(1)))
                .isInstanceOf(dev.streamfleet.checkpoint.PositionRegressionException.class);
        store.checkpoint(PARTITION, new Position.Offset(50), epoch(1));
        assertThat(store.read(PARTITION).flatMap(Checkpoint::position)).contains(new Position.Offset(50));
    }

    /** A shard read at parallelism above 1 whose first record is not finished yet: its starting point stands for the watermark. */
    @Test
    void recordsFinishedBeyondTheStartingPointAreStoredWithItUntilARecordPositionReplacesThem() {
        assertThat(store.seed(SHARD, Position.TRIM_HORIZON)).isTrue();
        store.claim(SHARD, epoch(1), "worker-a");
        FinishedBeyond finished = new FinishedBeyond.Builder().add(1, 4).build().anchoredAt(seq("100"));

        store.checkpoint(SHARD, Position.TRIM_HORIZON, finished, epoch(1));
        Checkpoint claimed = store.claim(SHARD, epoch(2), "worker-b");
        assertThat(claimed.position()).contains(Position.TRIM_HORIZON);
        assertThat(claimed.finished()).isEqualTo(finished);

        assertThatThrownBy(() -> store.checkpoint(SHARD, Position.TRIM_HORIZON, finished, epoch(1)))
                .as("a stale owner").isInstanceOf(OwnershipLostException.class);
        assertThatThrownBy(() -> store.checkpoint(SHARD, new Position.AtTimestamp(Instant.EPOCH), finished, epoch(2)))
                .as("another starting point than the row's").isInstanceOf(PositionRegressionException.class);
        store.checkpoint(SHARD, seq("104"), epoch(2));
        assertThatThrownBy(() -> store.checkpoint(SHARD, Position.TRIM_HORIZON, finished, epoch(2)))
                .as("back to the start once a record position is stored").isInstanceOf(PositionRegressionException.class);
        assertThat(store.read(SHARD).orElseThrow().position()).contains(seq("104"));
    }

    @Test
    void aStartingPointIsACheckpointOnlyOfAKinesisUnitWithRecordsFinishedBeyondIt() {
        FinishedBeyond finished = new FinishedBeyond.Builder().add(2).build().anchoredAt(seq("100"));
        store.seed(SHARD, Position.TRIM_HORIZON);
        store.claim(SHARD, epoch(1), "worker-a");
        store.claim(PARTITION, epoch(1), "worker-a");

        assertThatThrownBy(() -> store.checkpoint(SHARD, Position.TRIM_HORIZON, FinishedBeyond.NONE, epoch(1)))
                .as("nothing finished").isInstanceOf(IllegalArgumentException.class)
                .hasMessageEndingWith("needs a record position, not TRIM_HORIZON");
        assertThatThrownBy(() -> store.checkpoint(SHARD, Position.LATEST, finished, epoch(1)))
                .as("LATEST moves").isInstanceOf(IllegalArgumentException.class)
                .hasMessageEndingWith("needs a record position, not LATEST with records finished beyond it");
        assertThatThrownBy(() -> store.checkpoint(PARTITION, Position.TRIM_HORIZON,
                new FinishedBeyond.Builder().add(2).build(), epoch(1)))
                .as("a Kafka set always counts from an offset").isInstanceOf(IllegalArgumentException.class);
        assertThat(store.read(SHARD).orElseThrow().finished().isEmpty()).isTrue();
    }

    @Test
    void startingPointIsNotACheckpoint() {
        store.claim(SHARD, epoch(10), "worker-a");

        assertThatThrownBy(() -> store.checkpoint(SHARD, Position.LATEST, epoch(10)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void positionOfTheOtherSourceKindIsRejected() {
        store.claim(SHARD, epoch(10), "worker-a");
        store.claim(PARTITION, epoch(10), "worker-a");

        assertThatThrownBy(() -> store.checkpoint(SHARD, new Position.Offset(5), epoch(10)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.checkpoint(PARTITION, seq("5"), epoch(10)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.reset(PARTITION, seq("5"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void claimUnderAnotherFencingDomainIsRefusedUntilTheClaimIsCleared() {
        store.claim(SHARD, new Epoch("zk-old", 900_000), "worker-a");
        store.checkpoint(SHARD, seq("777"), new Epoch("zk-old", 900_000));

        assertThatThrownBy(() -> store.claim(SHARD, new Epoch("zk-new", 5), "worker-b"))
                .isInstanceOf(ForeignFencingDomainException.class)
                .hasMessageContaining("zk-old")
                .hasMessageContaining("checkpoints adopt");

        store.clearClaim(SHARD);
        Checkpoint adopted = store.claim(SHARD, new Epoch("zk-new", 5), "worker-b");
        assertThat(adopted.position()).contains(seq("777"));
        assertThatThrownBy(() -> store.checkpoint(SHARD, seq("778"), new Epoch("zk-old", 900_000)))
                .isInstanceOf(OwnershipLostException.class);
    }

    @Test
    void readOfAnUnknownUnitIsEmpty() {
        assertThat(store.read(UnitId.kafka("nothing-here", 0))).isEmpty();
    }

    @Test
    void listReturnsEveryUnitOfTheApplicationInOrder() {
        List<UnitId> units = new ArrayList<>();
        for (int partition = 0; partition < 40; partition++) {
            units.add(UnitId.kafka("clicks", partition));
        }
        for (UnitId unit : units) {
            store.claim(unit, epoch(3), "worker-a");
        }
        CheckpointStore other = storeFor(freshApplication());
        other.claim(SHARD, epoch(3), "worker-z");

        List<UnitId> listed = store.list().stream().map(Checkpoint::unit).toList();

        assertThat(listed).containsExactlyElementsOf(units.stream().sorted().toList());
        assertThat(other.list()).extracting(Checkpoint::unit).containsExactly(SHARD);
    }

    @Test
    void applicationsSharingATableDoNotFenceEachOther() {
        CheckpointStore other = storeFor(freshApplication());
        store.claim(SHARD, epoch(50), "worker-a");
        other.claim(SHARD, epoch(5), "worker-z");

        store.checkpoint(SHARD, seq("10"), epoch(50));
        other.checkpoint(SHARD, seq("20"), epoch(5));

        assertThat(store.read(SHARD).flatMap(Checkpoint::position)).contains(seq("10"));
        assertThat(other.read(SHARD).flatMap(Checkpoint::position)).contains(seq("20"));
    }

    @Test
    void invalidApplicationNameIsRejected() {
        assertThatThrownBy(() -> storeFor("has/slash")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has/slash");
        assertThat(store.application()).startsWith("app-");
    }
}
