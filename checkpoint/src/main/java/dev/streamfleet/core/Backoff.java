package dev.streamfleet.core;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Bounded exponential backoff with full jitter: the delay before retry {@code n} (counting
 * from 1) is uniform in {@code [0, min(max, base * 2^(n-1))]}, and there are at most
 * {@code maxAttempts} attempts in all. Full jitter keeps a fleet of workers that failed
 * together from retrying together.
 *
 * @param maxAttempts attempts in all, the first included; 1 means no retry
 * @param base        the cap of the first delay
 * @param max         the cap of any delay
 */
@PublicApi
public record Backoff(int maxAttempts, Duration base, Duration max) {

    /** Five attempts within about two seconds: enough for a blip, short enough to report an outage promptly. */
    public static final Backoff DEFAULT = new Backoff(5, Duration.ofMillis(100), Duration.ofSeconds(1));

    public Backoff {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(max, "max");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, not " + maxAttempts);
        }
        if (base.isNegative() || max.compareTo(base) < 0) {
            throw new IllegalArgumentException("need 0 <= base <= max, not base " + base + " and max " + max);
        }
    }

    /** Whether another attempt may follow attempt number {@code attempt} (counting from 1). */
    public boolean allowsRetryAfter(int attempt) {
        return attempt < maxAttempts;
    }

    /** The delay before the attempt that follows attempt number {@code attempt} (counting from 1). */
    public Duration delayAfter(int attempt, RandomGenerator random) {
        long cap = base.toMillis();
        for (int i = 1; i < attempt && cap < max.toMillis(); i++) {
            cap *= 2;
        }
        cap = Math.min(cap, max.toMillis());
        return Duration.ofMillis(cap == 0 ? 0 : random.nextLong(cap + 1));
    }
}
