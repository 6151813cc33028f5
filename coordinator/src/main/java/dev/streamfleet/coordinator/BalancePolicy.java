package dev.streamfleet.coordinator;

import dev.streamfleet.core.PublicApi;
import java.time.Duration;
import java.util.Objects;

/**
 * How calmly units move for load ({@link StickyBalancedStrategy}). Loads are relative to a
 * worker's capacity and compared with the fleet's <em>fair level</em>: the mean load per unit of
 * capacity, leaving out any unit too heavy to share a worker, together with the worker it needs.
 *
 * @param trigger       units move for load only when a worker is above this many times the fair
 *                      level (or, having joined, below {@code 2 - trigger} of it)
 * @param target        moves for load stop once every worker is within this many times the level
 * @param maxMovedShare at most this share of the units moves for load in one rebalance (always at least one)
 * @param minStay       a unit that moved stays at least this long before it moves for load again
 * @param minGain       a move must lower the higher load of its two workers by at least this share
 *                      of the fair level: the cost of a move (a pause, a re-read) must pay off
 * @param idleBelow     units below this load never move for load, and a fleet of only such units
 *                      is balanced by count
 */
@PublicApi
public record BalancePolicy(double trigger, double target, double maxMovedShare, Duration minStay, double minGain,
                            double idleBelow) {

    /** 1.25 to start, 1.10 to stop, a quarter of the units at most, 5 minutes' stay, 1 % gain, idle below 0.01. */
    public static final BalancePolicy DEFAULT = new BalancePolicy(1.25, 1.10, 0.25, Duration.ofMinutes(5), 0.01, 0.01);

    public BalancePolicy {
        Objects.requireNonNull(minStay, "minStay");
        if (!(target >= 1) || !(trigger >= target) || trigger >= 2) {
            throw new IllegalArgumentException("need 1 <= target <= trigger < 2, not target " + target + " and trigger " + trigger);
        }
        if (!(maxMovedShare > 0 && maxMovedShare <= 1)) {
            throw new IllegalArgumentException("maxMovedShare must be in (0, 1], not " + maxMovedShare);
        }
        if (minStay.isNegative() || !(minGain >= 0) || !(idleBelow >= 0)) {
            throw new IllegalArgumentException("minStay, minGain and idleBelow must not be negative");
        }
    }
}
