package dev.streamfleet.simulation;

/**
 * The simulation's scale mode, which reports and does not judge: {@code Scale [workers] [units]
 * [changes] [seed]} runs that many workers over a topic of that many partitions, then has
 * {@code changes} workers leave, as many crash and as many join, and prints how long the fleet
 * took to settle and what that cost ZooKeeper. Not part of {@code mvn verify}.
 */
public final class Scale {

    private Scale() {
    }

    public static void main(String[] args) {
        int workers = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int units = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        int changes = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        long seed = args.length > 3 ? Long.parseLong(args[3]) : 1;
        long started = System.nanoTime();
        String report = new Fleet(seed, units).runScale(workers, changes);
        System.out.println(report + String.format("; %d s of real time", (System.nanoTime() - started) / 1_000_000_000));
    }
}
