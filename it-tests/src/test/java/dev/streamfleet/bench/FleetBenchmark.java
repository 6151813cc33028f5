package dev.streamfleet.bench;

import dev.streamfleet.coordinator.RebalanceRecord;
import dev.streamfleet.coordinator.StaticUnitDiscovery;
import dev.streamfleet.coordinator.UnitSpec;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.zk.FleetMember;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.deploy.localstack.LocalStack;
import dev.streamfleet.deploy.localstack.LocalStackConfig;
import dev.streamfleet.it.coordinator.Fleet;
import dev.streamfleet.it.coordinator.ZkProxy;

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
        try (LocalStack stack = LocalStack.start(LocalStackConfig.none(dir).withZooKeeper(1))) {
            String zk = stack.zookeeper().endpoint();
            int zkPort = Integer.parseInt(zk.substring(zk.lastIndexOf(':') + 1));
            List<ZkProxy> links = new ArrayList<>();
            try (Fleet fleet = new Fleet(zk, new StaticUnitDiscovery(specs), SESSION_TIMEOUT, TICK_MILLIS)) {
                long start = System.nanoTime();
                for (int i = 0; i < WORKERS; i++) {
                    ZkProxy link = new ZkProxy(zkPort);
                    links.add(link);
                    fleet.start(link.connectString());
                }
                await(() -> fleet.balancedAndReading(units));
                System.out.printf("start: %d workers, %d units all read after %d ms%n", WORKERS, UNITS, millisSince(start));

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
                report("join (11th worker) -> balanced, all read", joins);
                report("graceful leave (close) -> balanced, all read", leaves);

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
                report("crash (cut off, session " + SESSION_TIMEOUT.toMillis() + " ms) -> its units read again", crashes);

                Map<Long, RebalanceRecord> published = new TreeMap<>();
                fleet.members().forEach(m -> m.rebalances().forEach(r -> published.put(r.generation(), r)));
                System.out.println("published assignments (generation: units moved / znode writes / rebalance ms):");
                for (RebalanceRecord record : published.values()) {
                    System.out.printf("  %d: %d moved / %d writes / %d ms%n", record.generation(), record.moved(),
                            record.writes(), record.took().toMillis());
                }
            } finally {
                links.forEach(ZkProxy::close);
            }
        }
    }

    private static void report(String what, List<Long> millis) {
        List<Long> sorted = new ArrayList<>(millis);
        Collections.sort(sorted);
        System.out.printf("%s: p50 %d ms, max %d ms over %d trials (%s)%n", what, sorted.get(sorted.size() / 2),
                sorted.get(sorted.size() - 1), sorted.size(), sorted);
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
