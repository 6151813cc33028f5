package dev.streamfleet.simulation;

/**
 * Runs seeds outside JUnit, for a profiler or a long search: {@code Search <first seed> <seeds>}.
 * Prints each failing seed's report and the totals; exits 1 when a seed broke a promise.
 */
public final class Search {

    private Search() {
    }

    public static void main(String[] args) {
        long first = args.length > 0 ? Long.parseLong(args[0]) : 1;
        int seeds = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int failed = 0;
        long started = System.nanoTime();
        for (long seed = first; seed < first + seeds; seed++) {
            Fleet fleet = new Fleet(seed);
            Fleet.Verdict verdict = fleet.run();
            if (seed == first) {
                System.out.printf("seed %d: %d inline tasks, %d pool tasks, %d timers%n", seed, fleet.loop.inlineTasks,
                        fleet.loop.threadTasks, fleet.loop.timersFired);
            }
            if (!verdict.passed()) {
                failed++;
                System.out.println(FleetSimulationTest.report(verdict));
            }
        }
        System.out.printf("%d seeds from %d, %d failed, %d ms%n", seeds, first, failed,
                (System.nanoTime() - started) / 1_000_000);
        System.exit(failed == 0 ? 0 : 1);
    }
}
