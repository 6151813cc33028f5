package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.util.Map;
import java.util.Objects;

/**
 * How the leader balances: the policy of moves for load, and unit weights pinned in
 * configuration for streams whose load is known in advance (in the unit of measured load: busy
 * processor-seconds per second).
 */
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

    /** The unit as discovery found it, with its pinned weight if it has one. */
    public UnitSpec pin(UnitSpec spec) {
        Double weight = weights.get(spec.id());
        return weight == null ? spec : new UnitSpec(spec.id(), spec.parents(), weight);
    }
}
