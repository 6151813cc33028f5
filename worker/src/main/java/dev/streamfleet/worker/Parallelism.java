package dev.streamfleet.worker;

import dev.streamfleet.core.PublicApi;
import dev.streamfleet.worker.Ordering;

import java.util.Objects;

/**
 * How many batches of one unit may be processed at once, and which records must keep their
 * order (the {@code processing.parallelism}, {@code processing.ordering} and
 * {@code processing.maxInFlight} keys).
 *
 * @param parallelism batches of one unit processed at once; 1 is one batch at a time, in stream order
 * @param ordering    which records are never processed concurrently and keep stream order
 * @param maxInFlight records read but not finished per unit; reading pauses at this bound
 */
@PublicApi
public record Parallelism(int parallelism, Ordering ordering, int maxInFlight) {

    public static final int DEFAULT_MAX_IN_FLIGHT = 1_000;
    /** One batch at a time: the processor sees the unit's records in stream order. */
    public static final Parallelism NONE = new Parallelism(1, Ordering.UNIT, DEFAULT_MAX_IN_FLIGHT);

    public Parallelism {
        Objects.requireNonNull(ordering, "ordering");
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1, not " + parallelism);
        }
        if (maxInFlight < parallelism) {
            throw new IllegalArgumentException("maxInFlight (" + maxInFlight + ") must be at least parallelism ("
                    + parallelism + ")");
        }
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
