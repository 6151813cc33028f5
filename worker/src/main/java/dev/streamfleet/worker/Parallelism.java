package dev.streamfleet.worker;

import dev.streamfleet.core.PublicApi;
import dev.streamfleet.worker.Ordering;

import dev.streamfleet.core.FinishedBeyond;

import java.util.Objects;

/**
 * How many batches of one unit may be processed at once, and which records must keep their
 * order (the {@code processing.parallelism}, {@code processing.ordering},
 * {@code processing.maxInFlight} and {@code processing.maxInFlightBytes} keys).
 *
 * @param parallelism      batches of one unit processed at once; 1 is one batch at a time, in stream order
 * @param ordering         which records are never processed concurrently and keep stream order
 * @param maxInFlight      records read but not finished per unit; reading pauses at this bound
 * @param maxInFlightBytes bytes of records read but not finished per unit (data and key, plus
 *                         {@link #RECORD_OVERHEAD} for each record's objects); reading pauses at this bound too
 */
@PublicApi
public record Parallelism(int parallelism, Ordering ordering, int maxInFlight, long maxInFlightBytes) {

    public static final int DEFAULT_MAX_IN_FLIGHT = 1_000;
    public static final long DEFAULT_MAX_IN_FLIGHT_BYTES = 64L * 1024 * 1024;
    /** What one record in flight costs beside its data and key: its objects, its position, its place in a lane. */
    public static final int RECORD_OVERHEAD = 160;
    /**
     * How many records after the watermark (in flight, or finished behind one that is not) a unit
     * keeps per record of {@code maxInFlight}: a key that holds the watermark pauses reading there.
     */
    public static final int SPAN_PER_IN_FLIGHT = 10;
    /**
     * The most records in flight a unit may keep: with {@link #SPAN_PER_IN_FLIGHT}, no checkpoint
     * names a record further than {@link FinishedBeyond#MAX_END} after its watermark, so a stored
     * set that does is not trusted.
     */
    public static final int MAX_IN_FLIGHT = (int) (FinishedBeyond.MAX_END / SPAN_PER_IN_FLIGHT);
    /** One batch at a time: the processor sees the unit's records in stream order. */
    public static final Parallelism NONE = new Parallelism(1, Ordering.UNIT, DEFAULT_MAX_IN_FLIGHT);

    public Parallelism {
        Objects.requireNonNull(ordering, "ordering");
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1, not " + parallelism);
        }
        if (maxInFlight > MAX_IN_FLIGHT) {
            throw new IllegalArgumentException("maxInFlight must be at most " + MAX_IN_FLIGHT + ", not " + maxInFlight);
        }
        if (maxInFlight < parallelism) {
            throw new IllegalArgumentException("maxInFlight (" + maxInFlight + ") must be at least parallelism ("
                    + parallelism + ")");
        }
        if (maxInFlightBytes < 1) {
            throw new IllegalArgumentException("maxInFlightBytes must be positive, not " + maxInFlightBytes);
        }
    }

    /** With the default byte bound. */
    public Parallelism(int parallelism, Ordering ordering, int maxInFlight) {
        this(parallelism, ordering, maxInFlight, DEFAULT_MAX_IN_FLIGHT_BYTES);
    }

    /** The most records after the watermark a unit keeps, finished or not, before reading pauses. */
    public long maxSpan() {
        return (long) maxInFlight * SPAN_PER_IN_FLIGHT;
    }

    /** {@code parallelism} batches at once with the default for the rest: key order. */
    public static Parallelism of(int parallelism) {
        return parallelism == 1 ? NONE : new Parallelism(parallelism, Ordering.KEY, Math.max(DEFAULT_MAX_IN_FLIGHT, parallelism));
    }

    /** Whether batches of one unit may overlap, so that the processor must be safe for that. */
    public boolean isConcurrent() {
        return parallelism > 1 && ordering != Ordering.UNIT;
    }
}
