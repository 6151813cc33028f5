package dev.streamfleet.bench;

import dev.streamfleet.coordinator.RebalanceRecord;
import dev.streamfleet.coordinator.StaticUnitDiscovery;
import dev.streamfleet.coordinator.UnitSpec;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.internal.zk.FleetMember;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.deploy.localstack.LocalStack;
import dev.streamfleet.deploy.localstack.LocalStackConfig;
import dev.streamfleet.it.coordinator.Fleet;
import dev.streamfleet.coordinator.LoopbackProxy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * In-JVM fleets on one ZooKeeper server: 1,000 units over 10 workers. Measures the time from
 * a join, a graceful leave and a crash until every unit is read again, and the ZooKeeper
 * writes of each published assignment. Run through {@code it-tests/benchmarks.sh fleet}.
 */
public final class FleetBenchmark {

    private static final int UNITS = 1_000;
    private static final int WORKERS = 10;
    private static final int TRIALS = 10;
    private static final int CRASH_TRIALS = 5;
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(3);
    private static final long TICK_MILLIS = 1_000;

    private FleetBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(System.getProperty("streamfleet.localstack.workdir", "target/local-stack"))
                .resolve("fleet-benchmark-" + System.currentTimeMillis());
        List<UnitSpec> specs = IntStream.range(0, UNITS).mapToObj(i -> UnitSpec.of(UnitId.kafka("t" + i % 20, i / 20))).toList();
        Set<UnitId> units = specs.stream().map(UnitSpec::id).collect(Collectors.toCollection(TreeSet::new));
        BenchmarkSection section = new BenchmarkSection("In-JVM fleet on one ZooKeeper — `it-tests/benchmarks.sh fleet`", """
                %,d units (Kafka-style ids) over %d workers in one JVM, each worker with its own ZooKeeper
                session (through a TCP proxy the benchmark can cut), on the embedded ZooKeeper server (tick
                %d ms). Unit work is the test stand-in: it checkpoints to the in-memory store once a second,
                and drains instantly. Session timeout %d ms; rebalance quiet period 200 ms, maximum delay 2 s
                (the defaults). The time runs from the action to the moment every unit is in READING state on
                its new owner (lease created, row claimed, unit started).
                """.formatted(UNITS, WORKERS, LocalStackConfig.DEFAULT_TICK_MILLIS, SESSION_TIMEOUT.toMillis()), "figure", "measured",
                "target");
        try (LocalStack stack = LocalStack.start(LocalStackConfig.none(dir).withZooKeeper(1))) {
            String zk = stack.zookeeper().endpoint();
            int zkPort = Integer.parseInt(zk.substring(zk.lastIndexOf(':') + 1));
            List<LoopbackProxy> links = new ArrayList<>();
            try (Fleet fleet = new Fleet(zk, new StaticUnitDiscovery(specs), SESSION_TIMEOUT, TICK_MILLIS)) {
                long start = System.nanoTime();
                for (int i = 0; i < WORKERS; i++) {
                    LoopbackProxy link = new LoopbackProxy(zkPort);
                    links.add(link);
                    fleet.start(link.connectString());
                }
                await(() -> fleet.balancedAndReading(units));
                section.row("%d workers start → all %,d units read".formatted(WORKERS, UNITS),
                        "%.1f s".formatted(millisSince(start) / 1000.0), "—");

                List<Long> joins = new ArrayList<>();
                List<Long> leaves = new ArrayList<>();
                for (int trial = 0; trial < TRIALS; trial++) {
                    long joinStart = System.nanoTime();
                    FleetMember extra = fleet.start();
                    await(() -> fleet.balancedAndReading(units));
                    joins.add(millisSince(joinStart));

                    long leaveStart = System.nanoTime();
                    fleet.remove(extra);
                    extra.close();
                    await(() -> fleet.balancedAndReading(units));
                    leaves.add(millisSince(leaveStart));
                }
                section.row("an %dth worker joins → balanced, all read".formatted(WORKERS + 1), report(joins), "p99 < 1 s");
                section.row("it leaves gracefully → all read", report(leaves), "p99 < 1 s");

                List<Long> crashes = new ArrayList<>();
                List<FleetMember> members = fleet.members();
                for (int trial = 0; trial < CRASH_TRIALS; trial++) {
                    FleetMember victim = members.get(trial);
                    Set<UnitId> orphaned = fleet.reading().get(victim.id());
                    long crashStart = System.nanoTime();
                    links.get(trial).cut();
                    await(() -> {
                        Map<WorkerId, Set<UnitId>> reading = fleet.reading();
                        reading.remove(victim.id());
                        Set<UnitId> held = new TreeSet<>();
                        reading.values().forEach(held::addAll);
                        return held.containsAll(orphaned);
                    });
                    crashes.add(millisSince(crashStart));
                    links.get(trial).heal();
                    await(() -> fleet.balancedAndReading(units));
                }
                section.row("a worker is cut off from ZooKeeper (crash) → its units read again", report(crashes),
                        "≤ session timeout + 1 s = %.0f s".formatted(SESSION_TIMEOUT.plusSeconds(1).toMillis() / 1000.0));

                Map<Long, RebalanceRecord> published = new TreeMap<>();
                fleet.members().forEach(m -> m.rebalances().forEach(r -> published.put(r.generation(), r)));
                List<String> writes = new ArrayList<>();
                for (RebalanceRecord record : published.values()) {
                    if (record.moved() > 0) {
                        writes.add(record.writes() + " writes for " + record.moved() + " moved");
                    }
                }
                section.note("""
                        With %d trials the "max" is the honest stand-in for p99. The crash time is the session
                        timeout (counted by the ZooKeeper server, which expires sessions on tick boundaries) plus
                        the quiet period, one rebalance, and claiming the orphaned units.

                        ZooKeeper writes per rebalance, from the leader's records of this run: %s. The assignment
                        transaction writes one znode per worker whose unit set changed plus the generation node;
                        each moved unit also costs two lease writes (the old owner's delete, the new owner's
                        create). A rebalance that moves nothing writes nothing.
                        """.formatted(TRIALS, writes.stream().distinct().limit(6).toList()));
                section.publish();
            } finally {
                links.forEach(LoopbackProxy::close);
            }
        }
    }

    private static String report(List<Long> millis) {
        List<Long> sorted = new ArrayList<>(millis);
        Collections.sort(sorted);
        return "p50 %d ms, max %d ms (%d trials)".formatted(sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1),
                sorted.size());
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the fleet did not converge within 60 s");
            }
            Thread.sleep(5);
        }
    }
}
