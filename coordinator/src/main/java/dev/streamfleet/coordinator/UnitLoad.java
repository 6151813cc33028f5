package dev.streamfleet.coordinator;

/**
 * A unit's load as its worker measured it (moving averages over about a minute).
 *
 * @param load             what balancing weighs: the seconds per second its processor was busy
 *                         with it, plus the worker's own cost per record read
 * @param recordsPerSecond records processed per second
 * @param bytesPerSecond   bytes of record data processed per second
 */
public record UnitLoad(double load, double recordsPerSecond, double bytesPerSecond) {

    public static final UnitLoad IDLE = new UnitLoad(0, 0, 0);

    public UnitLoad {
        if (!(load >= 0) || !(recordsPerSecond >= 0) || !(bytesPerSecond >= 0)
                || Double.isInfinite(load) || Double.isInfinite(recordsPerSecond) || Double.isInfinite(bytesPerSecond)) {
            throw new IllegalArgumentException("a load is finite and not negative: " + load + ", " + recordsPerSecond
                    + " records/s, " + bytesPerSecond + " bytes/s");
        }
    }
}
