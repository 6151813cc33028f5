package dev.streamfleet.coordinator;

import dev.streamfleet.core.PublicApi;
import dev.streamfleet.core.UnitId;

import java.util.Map;
import java.util.Objects;

/**
 * How the leader balances: the policy of moves for load, and unit weights pinned in
 * configuration for streams whose load is known in advance (in the unit of measured load: busy
 * processor-seconds per second).
 */
@PublicApi
public record Balancing(BalancePolicy policy, Map<UnitId, Double> weights) {

    public static final Balancing DEFAULT = new Balancing(BalancePolicy.DEFAULT, Map.of());

    public Balancing {
        Objects.requireNonNull(policy, "policy");
        weights = Map.copyOf(weights);
        weights.forEach((unit, weight) -> {
            if (!(weight > 0) || weight.isInfinite()) {
                throw new IllegalArgumentException("the weight of " + unit + " must be positive and finite, not " + weight);
            }
        });
    }

    /**
     * The loads the strategy weighs: the measured ones, with the pinned weights in their place
     * where a unit has one. (Pinned weights are loads, not {@link UnitSpec} weights, whose
     * default of 1 could not tell a weight pinned at 1 from none.)
     */
    public Map<UnitId, Double> loadsWith(Map<UnitId, Double> measured) {
        Map<UnitId, Double> loads = new java.util.HashMap<>(measured);
        loads.putAll(weights);
        return loads;
    }
}
