package dev.streamfleet.it.faults;

import dev.streamfleet.deploy.localstack.EmbeddedZooKeeper;
import dev.streamfleet.it.AwsCallRecorder;
import dev.streamfleet.it.LocalStackExtension;
import dev.streamfleet.it.coordinator.FollowerCutEnsemble;
import dev.streamfleet.it.worker.TestStreams;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.kinesis.KinesisClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * streamfleet as users run it — separate worker JVMs on a 3-member ZooKeeper ensemble, the
 * Kinesis and DynamoDB emulators and a Kafka broker — under a steady load on a stream and a
 * topic (4 shards, 4 partitions), while the test breaks things. After each scenario the
 * {@link DeliveryReport} proves from the outside: the load ran (each source produced at least a
 * floor of records, the producer met no problem), nothing lost, duplicates only where a crash
 * explains them (and only the run since the last checkpoint), never two readers of one unit, and
 * production order per key. What each scenario asserts besides: docs/testing.md.
 *
 * <p>Longer chaos: {@code -Dstreamfleet.faults.chaosSeconds=600}.
 */
class FaultScenariosIT {

    @RegisterExtension
    static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withZooKeeper(3).withKinesis().withDynamoDb()
            .withKafka().withPersistentEmulators());

    private static final int RATE = 50;
    private static final Duration REBALANCE = Duration.ofSeconds(30);
    private static final Duration FAILOVER = FleetUnderFaults.SESSION_TIMEOUT.plusSeconds(30);
    /** Longer than the checkpoint interval, far inside the 10 s a revoked unit has to drain. */
    private static final Duration HOLD_EACH_BATCH = Duration.ofMillis(1_500);
    /**
     * Work per record in the random-kill scenario: at its rate each unit is busy about a quarter of
     * the time, so a kill usually finds a batch in hand, half written.
     */
    private static final int WORK_PER_RECORD_MS = 20;
    /** Shards 0 and 1 split, 2 and 3 merged: 5 open shards, and 4 partitions. */
    private static final int UNITS_AFTER_RESHARDS = 9;
    /** Long enough for a checkpoint write to time out (5 s a call) and be tried again. */
    private static final Duration DYNAMODB_CUT = Duration.ofSeconds(8);
    /** Longer than the session. */
    private static final Duration ZOOKEEPER_CUT = Duration.ofSeconds(10);
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2)).build();
    /** One record in 50 is poison ({@link SlowJsonlProcessors#isPoison}): 2 a second on each source at twice the rate. */
    private static final int POISON_EVERY = 50;

    @Test
    void scalingOutAndInGracefullyLosesAndRepeatsNothing() throws Exception {
        try (FleetUnderFaults fleet = new FleetUnderFaults(SERVERS.stack(), "scale out 1 → 3 → 5, in 5 → 2", RATE)) {
            List<FleetUnderFaults.Worker> running = new ArrayList<>(fleet.startAll(1));
            fleet.awaitBalancedOver(running, Duration.ofSeconds(60));
            running.addAll(fleet.startAll(2));
            fleet.awaitBalancedOver(running, REBALANCE);
            running.addAll(fleet.startAll(2));
            fleet.awaitBalancedOver(running, REBALANCE);
            for (int i = 0; i < 3; i++) {
                FleetUnderFaults.Worker leaving = running.remove(running.size() - 1);
                fleet.terminate(leaving);
                fleet.awaitBalancedOver(running, REBALANCE);
            }

            DeliveryReport report = fleet.drainAndJudge();
            assertThat(report.findings()).as(report.summary()).isEmpty();
            assertThat(report.duplicates()).as("graceful moves re-deliver nothing: %s", report.summary()).isEmpty();
        }
    }

    @Test
    void killingARandomWorkerEveryFewSecondsLosesNothingAndRepeatsOnlyTheUncheckpointedTail() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        Duration chaos = Duration.ofSeconds(Long.getLong("streamfleet.faults.chaosSeconds", 60));
        try (FleetUnderFaults fleet = new FleetUnderFaults(SERVERS.stack(), "kill -9 a random worker every 5 s for "
                + chaos.toSeconds() + " s, " + WORK_PER_RECORD_MS + " ms of work per record (seed " + seed + ")", RATE)) {
            fleet.withWorkerEnvironment("STREAMFLEET_TEST_WORK_PER_RECORD_MS", Integer.toString(WORK_PER_RECORD_MS));
            fleet.awaitBalancedOver(fleet.startAll(3), Duration.ofSeconds(60));
            long end = System.nanoTime() + chaos.toNanos();
            int kills = 0;
            while (System.nanoTime() < end) {
                Thread.sleep(3_000 + random.nextInt(4_000));
                List<FleetUnderFaults.Worker> running = fleet.workers();
                fleet.kill(running.get(random.nextInt(running.size())));
                fleet.start();
                kills++;
            }
            fleet.awaitBalancedOver(fleet.workers(), FAILOVER);

            DeliveryReport report = fleet.drainAndJudge();
            assertThat(report.findings()).as(report.summary()).isEmpty();
            assertThat(fleet.killsWithABatchInHand()).as("kills of %d that found a batch in hand (each unit busy about a"
                    + " quarter of the time): %s", kills, report.summary()).isPositive();
            System.out.printf("%s; %d kills, %d with a batch in hand, re-delivered per unit: %s%n", report.summary(), kills,
                    fleet.killsWithABatchInHand(), report.duplicates());
        }
    }

    /**
     * Also the dead letters under kill -9 (README, "Dead letters"): one record in
     * {@link #POISON_EVERY} fails in every worker on every attempt, and goes to the scenario's
     * dead-letter topic. Nothing lost counts a record as delivered when it was processed or
     * dead-lettered; every poison record is dead-lettered and never processed, no healthy one is,
     * and a letter written twice is explained by the kill of the worker that wrote the first.
     */
    @Test
    void killingWorkersUnderParallelLoadLosesNothingKeepsKeyOrderAndRepeatsOnlyUnfinishedRecords() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        try (FleetUnderFaults fleet = new FleetUnderFaults(SERVERS.stack(), "parallelism 8 by key, one record in "
                + POISON_EVERY + " dead-lettered: kill -9 a random worker three times (seed " + seed + ")", RATE * 2,
                FleetUnderFaults.Variant.usual().withParallelism(8).withPoisonEvery(POISON_EVERY))) {
            // The load runs from the start, so the moves while the three join can find a unit whose first record
            // is in a failing batch: records finished beyond it must not be delivered again.
            fleet.awaitBalancedOver(fleet.startAll(3), Duration.ofSeconds(60));
            for (int kill = 0; kill < 3; kill++) {
                Thread.sleep(3_000 + random.nextInt(3_000));
                List<FleetUnderFaults.Worker> running = fleet.workers();
                fleet.kill(running.get(random.nextInt(running.size())));
                fleet.start();
            }
            fleet.awaitBalancedOver(fleet.workers(), FAILOVER);

            DeliveryReport report = fleet.drainAndJudge();
            DeadLetterReport letters = fleet.deadLetterReport();
            assertThat(report.findings()).as(report.summary()).isEmpty();
            assertThat(letters.findings()).as(letters.summary()).isEmpty();
            System.out.printf("%s; re-delivered per unit: %s; %s%n", report.summary(), report.duplicates(),
                    letters.summary());
        }
    }

    @Test
    void movingUnitsGracefullyUnderParallelLoadRepeatsNothing() throws Exception {
        try (FleetUnderFaults fleet = new FleetUnderFaults(SERVERS.stack(), "parallelism 8 by key: scale out 1 → 3,"
                + " in 3 → 2", RATE * 2, 8)) {
            List<FleetUnderFaults.Worker> running = new ArrayList<>(fleet.startAll(1));
            fleet.awaitBalancedOver(running, Duration.ofSeconds(60));
            Thread.sleep(2_000);
            running.addAll(fleet.startAll(2));
            fleet.awaitBalancedOver(running, REBALANCE);
            Thread.sleep(2_000);
            fleet.terminate(running.remove(running.size() - 1));
            fleet.awaitBalancedOver(running, REBALANCE);

            DeliveryReport report = fleet.drainAndJudge();
            assertThat(report.findings()).as(report.summary()).isEmpty();
            assertThat(report.duplicates()).as("graceful moves re-deliver nothing: %s", report.summary()).isEmpty();
        }
    }

    /**
     * Enhanced fan-out through joins, a split, a merge, a worker frozen past its session, a kill -9
     * and a graceful leave; every worker reads by subscription only.
     * The local stack's Kinesis applies AWS's SubscribeToShard rules (the 5 s takeover, the child
     * shards at a closed shard's end; see the README's fan-out section), so a frozen owner's
     * subscription is taken over rather than held until its 5 minutes end: each of the frozen
     * worker's shards is read by another within the session, a tick and the 5 s takeover.
     */
    @Test
    void readingThroughFanOutThroughJoinsASplitAMergeAFreezeACrashAndALeaveLosesNothing() throws Exception {
        try (FleetUnderFaults fleet = new FleetUnderFaults(SERVERS.stack(), "Kinesis through enhanced fan-out: scale out"
                + " 1 → 3, split, split, merge, SIGSTOP past the session, kill -9, a leave", RATE, 1, "fanout");
             KinesisClient kinesis = TestStreams.client(SERVERS.stack().kinesis().endpoint())) {
            List<FleetUnderFaults.Worker> running = new ArrayList<>(fleet.startAll(1));
            fleet.awaitBalancedOver(running, Duration.ofSeconds(60));
            running.addAll(fleet.startAll(2));
            fleet.awaitBalancedOver(running, REBALANCE);
            List<FleetUnderFaults.Worker> everyWorker = new ArrayList<>(running);
            TestStreams.splitInHalf(kinesis, fleet.stream, "shardId-000000000000");
            Thread.sleep(2_000);
            TestStreams.splitInHalf(kinesis, fleet.stream, "shardId-000000000001");
            Thread.sleep(2_000);
            kinesis.mergeShards(r -> r.streamName(fleet.stream).shardToMerge("shardId-000000000002")
                    .adjacentShardToMerge("shardId-000000000003"));
            TestStreams.awaitActive(kinesis, fleet.stream);
            // 4 children of the splits, 1 of the merge, 4 partitions: every parent ended.
            fleet.awaitAllLeased(UNITS_AFTER_RESHARDS, Duration.ofSeconds(60));
            fleet.awaitBalancedOver(running, UNITS_AFTER_RESHARDS, REBALANCE);

            FleetUnderFaults.Worker zombie = running.stream()
                    .filter(w -> !fleet.leader().map(l -> l.name.equals(w.name)).orElse(false))
                    .filter(w -> fleet.leases.holders().entrySet().stream()
                            .anyMatch(e -> e.getValue().equals(w.id()) && e.getKey().startsWith("kinesis/")))
                    .findFirst().orElseThrow();
            List<String> frozenShards = fleet.leases.holders().entrySet().stream()
                    .filter(e -> e.getValue().equals(zombie.id()) && e.getKey().startsWith("kinesis/"))
                    .map(java.util.Map.Entry::getKey).sorted().toList();
            List<FleetUnderFaults.Worker> others = running.stream().filter(w -> w != zombie).toList();
            long frozen = System.currentTimeMillis();
            zombie.process.signal("STOP");
            java.util.Map<String, Long> readAgain = new java.util.TreeMap<>();
            await().atMost(FAILOVER).pollInterval(Duration.ofMillis(200)).until(() -> {
                for (DeliveryReport.Line line : fleet.lines()) {
                    if (frozenShards.contains(line.unit()) && !line.worker().equals(zombie.id())
                            && line.micros() / 1000 > frozen) {
                        readAgain.merge(line.unit(), line.micros() / 1000 - frozen, Math::min);
                    }
                }
                return readAgain.keySet().containsAll(frozenShards);
            });
            // Issue 26's bound: the session, a tick of the ensemble (the stack's), and Kinesis's 5 s takeover.
            long bound = FleetUnderFaults.SESSION_TIMEOUT.plusMillis(
                    dev.streamfleet.deploy.localstack.LocalStackConfig.DEFAULT_TICK_MILLIS).plusSeconds(5).toMillis();
            assertThat(readAgain).as("ms until each of the frozen worker's shards was read by another (bound %d ms)", bound)
                    .allSatisfy((unit, millis) -> assertThat(millis).isLessThanOrEqualTo(bound));
            fleet.awaitBalancedOver(others, UNITS_AFTER_RESHARDS, FAILOVER);
            long thawed = System.currentTimeMillis();
            zombie.process.signal("CONT");
            fleet.noteCrash("SIGSTOP of " + zombie, zombie, frozen, thawed);
            fleet.awaitBalancedOver(running, UNITS_AFTER_RESHARDS, FAILOVER);

            FleetUnderFaults.Worker killed = others.get(0);
            fleet.kill(killed);
            running.remove(killed);
            List<FleetUnderFaults.Worker> joined = fleet.startAll(1);
            running.addAll(joined);
            everyWorker.addAll(joined);
            fleet.awaitBalancedOver(running, UNITS_AFTER_RESHARDS, FAILOVER);
            fleet.terminate(running.remove(0));
            fleet.awaitBalancedOver(running, UNITS_AFTER_RESHARDS, REBALANCE);

            DeliveryReport report = fleet.drainAndJudge();
            assertThat(report.findings()).as(report.summary()).isEmpty();
            for (FleetUnderFaults.Worker worker : everyWorker) {
                assertThat(AwsCallRecorder.actions(worker.calls)).as("%s read by subscription", worker.name)
                        .contains("kinesis:DescribeStreamConsumer").doesNotContain("kinesis:GetRecords");
            }
            System.out.printf("%s; the frozen worker's shards read again by another after (ms): %s;"
                    + " re-delivered per unit: %s%n", report.summary(), readAgain, report.duplicates());
        }
    }

    /**
     * A worker frozen (SIGSTOP) past its session with a batch in hand: its units move to the
     * others, and once thawed (SIGCONT) it returns from {@code process} with a checkpoint due and
     * writes it under its old epoch before it hears that its session is gone. Each batch is held
     * {@link #HOLD_EACH_BATCH} after it is written, so the freeze finds the worker's units inside
     * {@code process}; the hold is longer than the checkpoint interval, so every batch that returns
     * has a checkpoint due. The scenario asserts that the frozen worker made such late writes and
     * that DynamoDB rejected every one.
     */
    @Test
    void frozenWorkerPastItsSessionIsFencedAndItsLateCheckpointsAreAllRejected() throws Exception {
        try (FleetUnderFaults fleet = new FleetUnderFaults(SERVERS.stack(), "SIGSTOP with batches in hand past the"
                + " session timeout, then SIGCONT", RATE, HOLD_EACH_BATCH)) {
            List<FleetUnderFaults.Worker> running = fleet.startAll(3);
            fleet.awaitBalancedOver(running, Duration.ofSeconds(60));
            Thread.sleep(3_000);
            FleetUnderFaults.Worker zombie = fleet.workers().stream()
                    .filter(w -> !fleet.leader().map(l -> l.name.equals(w.name)).orElse(false)).findFirst().orElseThrow();
            List<FleetUnderFaults.Worker> others = running.stream().filter(w -> w != zombie).toList();

            long frozen = System.currentTimeMillis();
            zombie.process.signal("STOP");
            fleet.awaitBalancedOver(others, FAILOVER);
            Thread.sleep(2_000);
            long thawed = System.currentTimeMillis();
            zombie.process.signal("CONT");
            fleet.noteCrash("SIGSTOP of " + zombie, zombie, frozen, thawed);
            fleet.awaitAllLeased(8, FAILOVER);
            Thread.sleep(5_000);

            DeliveryReport report = fleet.drainAndJudge();
            assertThat(report.findings()).as(report.summary()).isEmpty();
            List<String> accepted = new ArrayList<>();
            java.util.Map<String, Integer> rejections = new java.util.TreeMap<>();
            int attempts = 0;
            for (AwsCallRecorder.Call call : zombie.calls()) {
                if (call.millis() < thawed || !call.action().equals("dynamodb:UpdateItem")) {
                    continue;
                }
                String unit = call.key().substring(call.key().indexOf('/') + 1);
                boolean heldAgain = fleet.leases.tenures().stream().anyMatch(t -> t.unit().equals(unit)
                        && t.worker().equals(zombie.id()) && t.from() > thawed && t.covers(call.millis(), 0));
                if (heldAgain) {
                    continue;
                }
                attempts++;
                if (call.ok()) {
                    accepted.add(unit + " at " + call.millis());
                } else {
                    rejections.merge(call.outcome(), 1, Integer::sum);
                }
            }
            assertThat(attempts).as("scenario '%s': late checkpoint writes of the zombie %s after SIGCONT (it was frozen"
                    + " with batches in hand, each held %d ms)", fleet.scenario, zombie, HOLD_EACH_BATCH.toMillis())
                    .isPositive();
            assertThat(accepted).as("scenario '%s': checkpoint writes of the zombie %s accepted after it lost its units"
                    + " (%d stale attempts in all)", fleet.scenario, zombie, attempts).isEmpty();
            System.out.printf("%s; the zombie made %d stale write attempts, all rejected: %s%n", report.summary(),
                    attempts, rejections);
        }
    }

    /**
     * The README's exit 70: a worker whose processor hangs inside {@code process} (before it writes
     * its batch) is asked by the leader to give a unit up when a third worker joins; the batch does
     * not return within {@code drainTimeout}, nor {@code stuckAfter} after that, so the worker process
     * exits with code 70, says why in its log, and its session expires; only then does any other worker
     * take one of its units, and every record of its hung batches is processed by the new owners.
     * The hang is noted as a crash: what it processed since its last checkpoint is read again.
     */
    @Test
    void aBatchHungPastItsRevokeEndsTheWorkerWithExit70AndItsUnitsMoveLosingNothing() throws Exception {
        FleetUnderFaults.HandOverBounds bounds = new FleetUnderFaults.HandOverBounds(Duration.ofSeconds(2),
                Duration.ofSeconds(3));
        long began = System.nanoTime();
        try (FleetUnderFaults fleet = new FleetUnderFaults(SERVERS.stack(), "a worker's batches hang; a join revokes"
                + " one of its units: exit 70 after drainTimeout 2 s + stuckAfter 3 s", RATE, bounds)) {
            java.nio.file.Path trigger = fleet.dir.resolve("hang-now");
            FleetUnderFaults.Worker steady = fleet.startAll(1).get(0);
            FleetUnderFaults.Worker hung = fleet.startHanging(trigger);
            fleet.awaitBalancedOver(List.of(steady, hung), Duration.ofSeconds(60));
            assertThat(fleet.leader()).as("the leader is the worker that does not hang").contains(steady);
            List<String> hungUnits = fleet.leases.holders().entrySet().stream()
                    .filter(e -> e.getValue().equals(hung.id())).map(java.util.Map.Entry::getKey).sorted().toList();
            assertThat(hungUnits).as("units of %s, balanced by count", hung).hasSize(4);
            await().atMost(Duration.ofSeconds(10)).until(() -> fleet.lines().stream()
                    .anyMatch(line -> line.worker().equals(hung.id())));

            long hangFrom = System.currentTimeMillis();
            java.nio.file.Files.writeString(trigger, "");
            // A JVM takes seconds to join; by then each of the hung worker's units, fed every few hundred ms, hangs.
            FleetUnderFaults.Worker joining = fleet.startAll(1).get(0);
            long joined = System.currentTimeMillis();

            int exit = fleet.awaitExit(hung, bounds.exitAfterRevoke().plusSeconds(10));
            long exited = System.currentTimeMillis();
            fleet.noteCrash("every batch of " + hung + " hung until it exited", hung, hangFrom, exited);
            assertThat(exit).as("%s's exit code; its log:%n%s", hung, hung.process.output()).isEqualTo(70);
            assertThat(exited - joined).as("ms from %s joining to %s's exit (the revoke comes after the join)", joining,
                    hung).isBetween(bounds.exitAfterRevoke().toMillis() - 500, bounds.exitAfterRevoke().toMillis() + 5_000);
            List<String> why = hung.process.output().lines().filter(line -> line.contains("exits (code 70)")).toList();
            assertThat(why).as("the one line in which %s says why it exits", hung).singleElement().asString()
                    .containsPattern(": the processor has not returned 5 s after the revoke \\(processing\\.drainTimeout"
                            + " \\+ processing\\.stuckAfter\\); this worker cannot hand the unit over");
            String revoked = why.get(0).replaceFirst(".* - (\\S+): the processor has not returned.*", "$1");
            assertThat(hungUnits).as("the unit named in the exit line").contains(revoked);
            List<String> overdue = hung.process.output().lines()
                    .filter(line -> line.contains(revoked + ": the batch in hand did not finish within 2000 ms of the revoke"))
                    .toList();
            assertThat(overdue).as("the drain deadline passed first, in %s's log", hung).hasSize(1);
            long pastDeadline = millisOfDay(why.get(0)) - millisOfDay(overdue.get(0));
            assertThat(pastDeadline).as("ms from the drain deadline to the exit line (stuckAfter)")
                    .isBetween(bounds.stuckAfter().toMillis() - 100, bounds.stuckAfter().toMillis() + 1_000);

            List<DeliveryReport.Line> lateLines = fleet.lines().stream().filter(line -> line.worker().equals(hung.id())
                    && line.micros() / 1000 > hangFrom + 1_000).toList();
            assertThat(lateLines).as("lines %s wrote more than 1 s after its batches began to hang", hung).isEmpty();

            fleet.awaitBalancedOver(List.of(steady, joining), FAILOVER);
            List<LeaseWatcher.Tenure> takenEarly = fleet.leases.tenures().stream()
                    .filter(t -> hungUnits.contains(t.unit()) && !t.worker().equals(hung.id()) && t.from() >= hangFrom
                            && t.from() < exited).toList();
            assertThat(takenEarly).as("units of %s taken by another worker before it exited at %d", hung, exited).isEmpty();
            assertThat(fleet.leases.tenures().stream().filter(t -> hungUnits.contains(t.unit())
                    && !t.worker().equals(hung.id()) && t.from() >= exited).map(LeaseWatcher.Tenure::unit).distinct())
                    .as("units of %s taken by another worker after it exited", hung).hasSameElementsAs(hungUnits);

            DeliveryReport report = fleet.drainAndJudge();
            assertThat(report.findings()).as(report.summary()).isEmpty();
            System.out.printf("%s; %s exited %d ms after %s joined (bound %d ms + the rebalance), %s was the revoked"
                    + " unit; re-delivered per unit: %s; the scenario took %.1f s%n", report.summary(), hung,
                    exited - joined, joining, bounds.exitAfterRevoke().toMillis(), revoked, report.duplicates(),
                    (System.nanoTime() - began) / 1e9);
        }
    }

    /** The time of day a worker's log line starts with ({@code 21:36:36.973 WARN ...}), in ms. */
    private static long millisOfDay(String logLine) {
        return java.time.LocalTime.parse(logLine.substring(0, 12)).toNanoOfDay() / 1_000_000;
    }

    @Test
    void killingTheLeaderRepeatedlyLosesNothing() throws Exception {
        try (FleetUnderFaults fleet = new FleetUnderFaults(SERVERS.stack(), "kill -9 the leader, three times", RATE)) {
            fleet.awaitBalancedOver(fleet.startAll(3), Duration.ofSeconds(60));
            for (int i = 0; i < 3; i++) {
                await().atMost(FAILOVER).until(() -> fleet.leader().isPresent());
                fleet.kill(fleet.leader().orElseThrow());
                fleet.start();
                fleet.awaitBalancedOver(fleet.workers(), FAILOVER);
            }

            DeliveryReport report = fleet.drainAndJudge();
            assertThat(report.findings()).as(report.summary()).isEmpty();
        }
    }

    @Test
    void losingAnEnsembleMemberMovesNothingAndLosingQuorumForTenSecondsLosesNothing() throws Exception {
        EmbeddedZooKeeper ensemble = SERVERS.stack().zookeeper();
        try (FleetUnderFaults fleet = new FleetUnderFaults(SERVERS.stack(), "one ZooKeeper member down, then quorum lost"
                + " for 10 s", RATE)) {
            List<FleetUnderFaults.Worker> running = fleet.startAll(3);
            fleet.awaitBalancedOver(running, Duration.ofSeconds(60));
            var before = fleet.leases.holders();
            var member = ensemble.members().get(0);
            member.kill();
            int linesBefore = fleet.lines().size();
            await().atMost(Duration.ofSeconds(20)).until(() -> fleet.lines().size() > linesBefore + 4 * RATE);
            assertThat(fleet.leases.holders()).as("no unit moves when one member of three is lost").isEqualTo(before);
            member.start();
            Thread.sleep(2_000);

            long lost = System.currentTimeMillis();
            ensemble.members().get(1).kill();
            ensemble.members().get(2).kill();
            Thread.sleep(10_000);
            ensemble.members().get(1).start();
            ensemble.members().get(2).start();
            long back = System.currentTimeMillis();
            fleet.noteFleetWideOutage("ZooKeeper quorum lost", lost, back + FleetUnderFaults.SESSION_TIMEOUT.toMillis());
            fleet.awaitAllLeased(8, Duration.ofSeconds(60));
            fleet.awaitBalancedOver(running, Duration.ofSeconds(60));

            DeliveryReport report = fleet.drainAndJudge();
            assertThat(report.findings()).as(report.summary()).isEmpty();
            System.out.printf("%s; re-delivered per unit: %s%n", report.summary(), report.duplicates());
        }
    }

    /**
     * One worker talks to a ZooKeeper follower that is silently cut from the leader
     * ({@link FollowerCutEnsemble}, the scenario's own ensemble: syncLimit × tickTime is 10 s,
     * beyond the 4 s session). The follower keeps answering the worker while the leader expires
     * its session and its units move; the worker must stop before they do, and once the cut heals
     * it rejoins. Under load the cut shows itself early (the worker's own writes to ZooKeeper hold
     * back the follower's answers, pings included, so the worker is SUSPENDED within two thirds of
     * the session); {@code FollowerPartitionIT} covers the idle worker that only a sync reveals.
     */
    @Test
    void workerWhoseFollowerIsCutFromTheLeaderStopsBeforeItsUnitsMoveAndLosesNothing() throws Exception {
        java.nio.file.Path dir = SERVERS.stack().workDir().resolve("follower-cut-" + System.nanoTime());
        try (FollowerCutEnsemble ensemble = new FollowerCutEnsemble(dir, 500, 20);
             FleetUnderFaults fleet = new FleetUnderFaults(SERVERS.stack(), ensemble.others(),
                     "a worker's ZooKeeper follower cut from the leader for 10 s", RATE)) {
            List<FleetUnderFaults.Worker> running = new ArrayList<>(fleet.startAll(2));
            FleetUnderFaults.Worker cut = fleet.startConnectedTo(ensemble.follower());
            running.add(cut);
            fleet.awaitBalancedOver(running, Duration.ofSeconds(60));
            List<FleetUnderFaults.Worker> others = running.stream().filter(w -> w != cut).toList();

            long from = System.currentTimeMillis();
            String step = "the units moved off the cut worker";
            try {
                ensemble.cut();
                fleet.awaitBalancedOver(others, FAILOVER);
                assertThat(ensemble.followerMode()).as("the cut worker's follower when its units had moved")
                        .isEqualTo("follower");
                ensemble.heal();
                fleet.noteCrash("follower of " + cut + " cut from the ZooKeeper leader", cut, from,
                        System.currentTimeMillis());
                step = "the cut worker rejoined after the cut healed";
                fleet.awaitBalancedOver(running, FAILOVER);
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("not so: " + step + " (member 1: " + ensemble.followerMode() + "); " + cut
                        + "'s log:\n" + cut.process.output(), e);
            }

            DeliveryReport report = fleet.drainAndJudge();
            assertThat(report.findings()).as(report.summary()).isEmpty();
            System.out.printf("%s; re-delivered per unit: %s%n", report.summary(), report.duplicates());
        }
    }

    /**
     * One worker (not the leader) reaches ZooKeeper and DynamoDB only through {@link TcpProxy}s
     * that the test cuts as a network partition does. Cut from DynamoDB for
     * {@link #DYNAMODB_CUT}: its leases stay where they are, its checkpoint writes fail and are
     * retried, its status shows that while it lasts, and once healed its checkpoints land again.
     * Then cut from the whole ensemble for {@link #ZOOKEEPER_CUT}, past its session: it stops,
     * its units move to the others, and once healed it rejoins and holds units again.
     */
    @Test
    void workerPartitionedFromDynamoDbThenFromZooKeeperRetriesVisiblyStopsInTimeAndRejoins() throws Exception {
        long began = System.nanoTime();
        List<TcpProxy> zookeeper = new ArrayList<>();
        try (FleetUnderFaults fleet = new FleetUnderFaults(SERVERS.stack(), "a worker cut from DynamoDB for "
                + DYNAMODB_CUT.toSeconds() + " s, then from ZooKeeper for " + ZOOKEEPER_CUT.toSeconds() + " s", RATE);
             TcpProxy dynamodb = TcpProxy.to("dynamodb", SERVERS.stack().dynamodb().endpoint())) {
            for (String member : SERVERS.stack().zookeeper().endpoint().split(",")) {
                zookeeper.add(TcpProxy.to("zookeeper-" + zookeeper.size(), member));
            }
            List<FleetUnderFaults.Worker> running = new ArrayList<>(fleet.startAll(2));
            FleetUnderFaults.Worker cut = fleet.start(Map.of(
                    "STREAMFLEET_ZOOKEEPER_CONNECT", String.join(",", zookeeper.stream().map(TcpProxy::address).toList()),
                    "STREAMFLEET_CHECKPOINTS_ENDPOINT", "http://" + dynamodb.address()));
            running.add(cut);
            fleet.awaitBalancedOver(running, Duration.ofSeconds(60));
            assertThat(fleet.leader()).as("the leader").isPresent().get().isNotSameAs(cut);
            String status = fleet.statusUrl(cut);
            List<FleetUnderFaults.Worker> others = running.stream().filter(w -> w != cut).toList();

            // Phase 1: DynamoDB out of reach; ZooKeeper is fine, so nothing moves.
            Map<String, String> before = fleet.leases.holders();
            long dynamoCut = System.currentTimeMillis();
            dynamodb.cut();
            List<String> shown = new ArrayList<>();
            java.util.Set<String> surfaces = new java.util.TreeSet<>();
            while (System.currentTimeMillis() < dynamoCut + DYNAMODB_CUT.toMillis()) {
                troubles(status).ifPresent(shown::add);
                surfaces.addAll(surfacesShowingRetrying(status));
                Thread.sleep(250);
            }
            dynamodb.heal();
            long dynamoHealed = System.currentTimeMillis();
            assertThat(fleet.leases.holders()).as("the leases after %d ms without DynamoDB", dynamoHealed - dynamoCut)
                    .isEqualTo(before);
            List<String> units = unitsOf(fleet, cut);
            await("every unit of the cut worker checkpointed after the heal").atMost(Duration.ofSeconds(15))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> checkpointedAfter(cut, dynamoHealed).containsAll(units));
            await("the cut worker's status clear again").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(250)).until(() -> troubles(status).isEmpty());
            List<AwsCallRecorder.Call> duringTheCut = cut.calls().stream()
                    .filter(call -> call.action().equals("dynamodb:UpdateItem"))
                    .filter(call -> call.millis() > dynamoCut + 1_000 && call.millis() <= dynamoHealed).toList();
            assertThat(duringTheCut).as("the cut worker's checkpoint writes during the cut").isNotEmpty()
                    .noneMatch(AwsCallRecorder.Call::ok);
            assertThat(dynamodb.droppedBytes()).as("bytes the DynamoDB proxy dropped").isPositive();

            // Phase 2: ZooKeeper out of reach past the session; the worker must stop before its units move.
            long zooKeeperCut = System.currentTimeMillis();
            zookeeper.forEach(TcpProxy::cut);
            fleet.awaitBalancedOver(others, FAILOVER);
            Thread.sleep(Math.max(0, zooKeeperCut + ZOOKEEPER_CUT.toMillis() - System.currentTimeMillis()));
            zookeeper.forEach(TcpProxy::heal);
            long zooKeeperHealed = System.currentTimeMillis();
            fleet.noteCrash(cut + " cut from ZooKeeper", cut, zooKeeperCut, zooKeeperHealed);
            try {
                fleet.awaitBalancedOver(running, FAILOVER);
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("the cut worker did not rejoin after the heal; its log:\n" + cut.process.output(), e);
            }
            long faultsOver = System.nanoTime();

            DeliveryReport report = fleet.drainAndJudge();
            assertThat(report.findings()).as(report.summary()).isEmpty();
            assertThat(shown).as("what the cut worker's /api/worker and /health said was wrong during the %d s without"
                    + " DynamoDB (%d failed checkpoint writes)", DYNAMODB_CUT.toSeconds(), duringTheCut.size()).isNotEmpty();
            assertThat(surfaces).as("where the cut worker showed its units retrying during the cut: %s", shown)
                    .containsExactly("/api/worker", "/health", "/metrics");
            System.out.printf("%s; status during the DynamoDB cut: %s; checkpoint writes that failed in it: %d;"
                    + " re-delivered per unit: %s; %d s from start to the faults' end, %d s in all%n", report.summary(),
                    shown.get(0), duringTheCut.size(), report.duplicates(),
                    Duration.ofNanos(faultsOver - began).toSeconds(), Duration.ofNanos(System.nanoTime() - began).toSeconds());
        } finally {
            zookeeper.forEach(TcpProxy::close);
        }
    }

    /** What the worker's status says is wrong with its units ({@code /api/worker} and {@code /health}), if anything. */
    private static java.util.Optional<String> troubles(String statusUrl) throws Exception {
        List<String> troubles = new ArrayList<>();
        JsonNode worker = JSON.readTree(get(statusUrl + "/api/worker"));
        for (JsonNode unit : worker.path("units")) {
            for (String field : List.of("retrying", "stalled", "failure")) {
                if (unit.has(field)) {
                    troubles.add(unit.path("unit").asText() + " " + field + ": " + unit.path(field).asText());
                }
            }
        }
        JsonNode health = JSON.readTree(get(statusUrl + "/health"));
        for (String list : List.of("failed", "stalled", "retrying")) {
            if (!health.path(list).isEmpty()) {
                troubles.add("/health " + list + ": " + health.path(list));
            }
        }
        return troubles.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(String.join("; ", troubles));
    }

    /** Which of the worker's status endpoints show a unit retrying now. */
    private static java.util.Set<String> surfacesShowingRetrying(String statusUrl) throws Exception {
        java.util.Set<String> surfaces = new java.util.TreeSet<>();
        for (JsonNode unit : JSON.readTree(get(statusUrl + "/api/worker")).path("units")) {
            if (unit.has("retrying")) {
                surfaces.add("/api/worker");
            }
        }
        if (!JSON.readTree(get(statusUrl + "/health")).path("retrying").isEmpty()) {
            surfaces.add("/health");
        }
        for (String line : get(statusUrl + "/metrics").split("\n")) {
            if (line.startsWith("streamfleet_worker_units_retrying ") && Double.parseDouble(line.split(" ")[1]) > 0) {
                surfaces.add("/metrics");
            }
        }
        return surfaces;
    }

    private static String get(String url) throws Exception {
        return HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).timeout(Duration.ofSeconds(2))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    }

    private static List<String> unitsOf(FleetUnderFaults fleet, FleetUnderFaults.Worker worker) {
        return fleet.leases.holders().entrySet().stream().filter(e -> e.getValue().equals(worker.id()))
                .map(Map.Entry::getKey).sorted().toList();
    }

    /** The units whose checkpoint the worker wrote after {@code millis}. */
    private static java.util.Set<String> checkpointedAfter(FleetUnderFaults.Worker worker, long millis) throws Exception {
        java.util.Set<String> units = new java.util.TreeSet<>();
        for (AwsCallRecorder.Call call : worker.calls()) {
            if (call.action().equals("dynamodb:UpdateItem") && call.ok() && call.millis() > millis) {
                units.add(call.key().substring(call.key().indexOf('/') + 1));
            }
        }
        return units;
    }

    @Test
    void restartingTheDynamoDbAndKinesisEmulatorsLosesAndRepeatsNothing() throws Exception {
        try (FleetUnderFaults fleet = new FleetUnderFaults(SERVERS.stack(), "DynamoDB emulator restarted, then the Kinesis"
                + " emulator", RATE)) {
            List<FleetUnderFaults.Worker> running = fleet.startAll(3);
            fleet.awaitBalancedOver(running, Duration.ofSeconds(60));
            Thread.sleep(2_000);

            SERVERS.stack().dynamodb().stop();
            Thread.sleep(5_000);
            SERVERS.stack().dynamodb().start();
            Thread.sleep(5_000);

            // The emulator writes its state to disk every 100 ms; records put in that window would be lost with it.
            fleet.load.pauseKinesis();
            Thread.sleep(1_000);
            SERVERS.stack().kinesis().stop();
            Thread.sleep(3_000);
            SERVERS.stack().kinesis().start();
            fleet.load.resumeKinesis();
            Thread.sleep(5_000);
            fleet.awaitBalancedOver(running, REBALANCE);

            DeliveryReport report = fleet.drainAndJudge();
            assertThat(report.findings()).as(report.summary()).isEmpty();
            assertThat(report.duplicates()).as("no worker crashed: %s", report.summary()).isEmpty();
        }
    }

    /**
     * Under the default initial position (LATEST, for the stream and the topic): it applies only
     * to the units read at the application's first start, and the child shards of the split and
     * the merge start at their beginning (README, {@code initialPosition}), so none of their
     * records is lost. The load starts only once every unit is READING, since LATEST rightly skips
     * what came before; and each child shard must have processed records, or "nothing lost" of
     * the children proved nothing.
     */
    @Test
    void splittingTwoShardsAndMergingTwoWhileRecordsFlowKeepsEveryKeyInOrder() throws Exception {
        splitAndMerge("split two shards, merge two others, initial position LATEST (the default)",
                FleetUnderFaults.Variant.usual().withDefaultInitialPosition());
    }

    @Test
    void splittingAndMergingUnderParallelLoadKeepsEveryKeyInOrderAcrossParentsAndChildren() throws Exception {
        splitAndMerge("parallelism 8 by key: split two shards, merge two others",
                FleetUnderFaults.Variant.usual().withParallelism(8));
    }

    private void splitAndMerge(String scenario, FleetUnderFaults.Variant variant) throws Exception {
        try (FleetUnderFaults fleet = new FleetUnderFaults(SERVERS.stack(), scenario, RATE, variant);
             KinesisClient kinesis = TestStreams.client(SERVERS.stack().kinesis().endpoint())) {
            List<FleetUnderFaults.Worker> running = fleet.startAll(3);
            fleet.awaitBalancedOver(running, Duration.ofSeconds(60));
            fleet.startLoadOnceEveryUnitIsReading(8, Duration.ofSeconds(30));
            Thread.sleep(2_000);
            TestStreams.splitInHalf(kinesis, fleet.stream, "shardId-000000000000");
            Thread.sleep(2_000);
            TestStreams.splitInHalf(kinesis, fleet.stream, "shardId-000000000001");
            Thread.sleep(2_000);
            kinesis.mergeShards(r -> r.streamName(fleet.stream).shardToMerge("shardId-000000000002")
                    .adjacentShardToMerge("shardId-000000000003"));
            TestStreams.awaitActive(kinesis, fleet.stream);
            // 4 children of the splits, 1 of the merge, 4 partitions.
            fleet.awaitAllLeased(9, Duration.ofSeconds(60));
            Thread.sleep(3_000);

            DeliveryReport report = fleet.drainAndJudge();
            assertThat(report.findings()).as(report.summary()).isEmpty();
            assertThat(report.duplicates()).as("no worker crashed: %s", report.summary()).isEmpty();
            // Shards 4–7 are the children of the splits, 8 of the merge.
            java.util.Map<String, Long> childLines = new java.util.TreeMap<>();
            for (int child = 4; child <= 8; child++) {
                childLines.put("kinesis/" + fleet.stream + "/shardId-00000000000" + child, 0L);
            }
            fleet.lines().forEach(line -> childLines.computeIfPresent(line.unit(), (unit, n) -> n + 1));
            assertThat(childLines).as("records processed of each child shard: %s", report.summary())
                    .allSatisfy((unit, n) -> assertThat(n).isPositive());
            System.out.printf("%s; processed of the child shards: %s%n", report.summary(), childLines);
        }
    }
}
