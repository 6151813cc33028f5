package dev.streamfleet.simulation;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Searches seeds for a run of the fleet that breaks a promise. {@code -Dstreamfleet.sim.seeds=N}
 * and {@code -Dstreamfleet.sim.start=S} choose the seeds; a failing seed prints the command that
 * replays it and the part of its trace that led to the violation.
 */
class FleetSimulationTest {

    private static final int SEEDS = Integer.getInteger("streamfleet.sim.seeds", 2000);
    private static final long START = Long.getLong("streamfleet.sim.start", 1);
    /** {@code -Dstreamfleet.sim.list=2285,3104}: exactly these seeds, in place of the range. */
    private static final String LIST = System.getProperty("streamfleet.sim.list", "");

    @Test
    void noSeedBreaksAPromise() throws Exception {
        ExecutorService searchers = Executors.newFixedThreadPool(Math.max(1, Runtime.getRuntime().availableProcessors()));
        List<Future<Fleet.Verdict>> runs = new ArrayList<>();
        List<Long> seeds = new ArrayList<>();
        if (LIST.isBlank()) {
            for (long seed = START; seed < START + SEEDS; seed++) {
                seeds.add(seed);
            }
        } else {
            for (String seed : LIST.split(",")) {
                seeds.add(Long.parseLong(seed.trim()));
            }
        }
        for (long seed : seeds) {
            runs.add(searchers.submit(() -> new Fleet(seed).run()));
        }
        List<Fleet.Verdict> failed = new ArrayList<>();
        long processed = 0;
        long checkpoints = 0;
        long namingFinished = 0;
        long atStart = 0;
        long faults = 0;
        long calmRecords = 0;
        Garbage.Counts garbage = Garbage.Counts.none();
        Measures.Summary measures = Measures.Summary.none();
        long calmLoadMoves = 0;
        long calmStepsForward = 0;
        Fleet.Trims trims = Fleet.Trims.none();
        long stepsForward = 0;
        long stepsBack = 0;
        Fleet.Kpl kpl = Fleet.Kpl.none();
        SimZooKeeper.Counts zookeeper = SimZooKeeper.Counts.none();
        for (Future<Fleet.Verdict> run : runs) {
            Fleet.Verdict verdict = run.get(10, TimeUnit.MINUTES);
            calmRecords += verdict.calm() ? verdict.processed() : 0;
            processed += verdict.processed();
            checkpoints += verdict.checkpoints();
            namingFinished += verdict.checkpointsNamingFinished();
            atStart += verdict.checkpointsAtStart();
            faults += verdict.faults();
            garbage = garbage.plus(verdict.garbage());
            measures = measures.plus(verdict.measures());
            calmLoadMoves += verdict.calm() ? verdict.measures().loadMoves() : 0;
            trims = trims.plus(verdict.trims());
            stepsForward += verdict.clockStepsForward();
            calmStepsForward += verdict.calm() ? verdict.clockStepsForward() : 0;
            stepsBack += verdict.clockStepsBack();
            kpl = kpl.plus(verdict.kpl());
            zookeeper = zookeeper.plus(verdict.zookeeper());
            if (!verdict.passed()) {
                failed.add(verdict);
            }
        }
        searchers.shutdown();
        System.out.printf("simulation: %d seeds from %d, %d records processed, %d checkpoints, %d faults, %d failed%n",
                seeds.size(), seeds.get(0), processed, checkpoints, faults, failed.size());
        System.out.printf("checkpoints naming records finished beyond their position: %d, of which at a starting point: %d%n",
                namingFinished, atStart);
        System.out.println("garbage: " + garbage);
        System.out.println("loads: " + measures + "; " + calmLoadMoves + " moves for load in calm runs");
        System.out.println("retention: " + trims);
        System.out.printf("clock steps: %d forward, %d back; %d forward in calm runs%n", stepsForward, stepsBack,
                calmStepsForward);
        System.out.println("KPL: " + kpl);
        System.out.println("zookeeper: " + zookeeper);
        failed.stream().mapToLong(Fleet.Verdict::seed).min().ifPresent(first -> System.out.printf(
                "first failing seed: %d, the %d. searched%n", first, first - START + 1));
        for (Fleet.Verdict verdict : failed.subList(0, Math.min(3, failed.size()))) {
            System.out.println(report(verdict));
        }
        for (Fleet.Verdict verdict : failed) {
            java.nio.file.Path file = java.nio.file.Path.of("target", "simulation-seed-" + verdict.seed() + ".log");
            java.nio.file.Files.createDirectories(file.getParent());
            java.nio.file.Files.writeString(file, String.join("\n", verdict.violations()) + "\n\n" + verdict.trace().all());
        }
        assertThat(processed).as("records processed over all seeds").isPositive();
        assertThat(checkpoints).as("checkpoints written over all seeds").isPositive();
        assertThat(faults).as("faults injected over all seeds").isPositive();
        if (seeds.size() >= 100) {
            assertThat(calmRecords).as("records processed in calm runs, where nothing may be delivered twice").isPositive();
            assertThat(namingFinished).as("checkpoints naming records finished beyond their position").isPositive();
            assertThat(atStart).as("checkpoints at a starting point, with records finished beyond it").isPositive();
            assertThat(measures.loadMoves()).as("units moved for load: " + measures).isPositive();
            assertThat(measures.loadMovesOverTrigger()).as("moves away from a worker above the trigger: " + measures)
                    .isPositive();
            assertThat(calmLoadMoves).as("moves for load in calm runs, where nothing may be delivered twice").isPositive();
            assertThat(calmStepsForward).as("wall clocks stepped forward in calm runs, where nothing may be delivered twice")
                    .isPositive();
            assertThat(measures.costChanges()).as("processors that got slower or faster: " + measures).isPositive();
            assertThat(measures.inFlightPeak()).as("the most records in flight seen through lanes: " + measures)
                    .isPositive();
            assertThat(measures.spanPeak()).as("the most records kept after the first unfinished one: " + measures)
                    .isPositive();
            assertThat(measures.serialPeak()).as("the most records kept at parallelism 1: " + measures).isPositive();
            assertThat(List.of(trims.trims(), trims.truncations(), trims.unprocessed(), trims.skips()))
                    .as("retention over all seeds: " + trims).allMatch(n -> n > 0);
            assertThat(List.of(stepsForward, stepsBack)).as("wall clocks stepped forward, back").allMatch(n -> n > 0);
            assertThat(kpl.all()).as("KPL aggregates over all seeds: " + kpl).allMatch(n -> n > 0);
            for (int kind : new int[] {SimZooKeeper.Counts.LAGS, SimZooKeeper.Counts.CUTS, SimZooKeeper.Counts.DROPS,
                    SimZooKeeper.Counts.MOVES, SimZooKeeper.Counts.BEHIND, SimZooKeeper.Counts.STALE_READS,
                    SimZooKeeper.Counts.EXPIRED_LATE, SimZooKeeper.Counts.RESTARTS, SimZooKeeper.Counts.REFUSED_EXPIRED,
                    SimZooKeeper.Counts.REFUSED, SimZooKeeper.Counts.REFUSED_ELECTION,
                    SimZooKeeper.Counts.REFUSED_GENERATION}) {
                assertThat(zookeeper.get(kind)).as("the ensemble over all seeds: " + zookeeper).isPositive();
            }
            for (int kind = 0; kind < Garbage.Counts.KINDS; kind++) {
                assertThat(garbage.get(kind)).as("garbage over all seeds: " + garbage).isPositive();
            }
        }
        assertThat(failed.stream().map(v -> v.seed() + ": " + v.violations().get(0)).toList())
                .as("seeds that broke a promise (replay: see the output)").isEmpty();
    }

    @Test
    void aSeedReplaysExactly() {
        Fleet.Verdict first = new Fleet(START).run();
        Fleet.Verdict again = new Fleet(START).run();
        assertThat(first.trace().count()).as("trace lines").isPositive();
        assertThat(again.trace().digest()).isEqualTo(first.trace().digest());
        assertThat(again.violations()).isEqualTo(first.violations());
    }

    static String report(Fleet.Verdict verdict) {
        List<String> subjects = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(kafka|kinesis)/[^ :,()]+/[^ :,()]+|w[0-9]+")
                .matcher(verdict.violations().get(0));
        while (m.find()) {
            subjects.add(m.group());
        }
        return "\n== seed " + verdict.seed() + " broke a promise\n"
                + String.join("\n", verdict.violations()) + "\n"
                + "replay: mvn -B -o -pl simulation -am test -Dtest=FleetSimulationTest#noSeedBreaksAPromise"
                + " -Dsurefire.failIfNoSpecifiedTests=false"
                + " -Dstreamfleet.sim.start=" + verdict.seed() + " -Dstreamfleet.sim.seeds=1\n"
                + "whole trace: simulation/target/simulation-seed-" + verdict.seed() + ".log\n"
                + "trace (faults and lines naming " + subjects + ", newest last):\n"
                + verdict.trace().relevant(subjects, 120);
    }
}
