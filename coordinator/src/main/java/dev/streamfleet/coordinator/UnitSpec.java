package dev.streamfleet.coordinator;

import dev.streamfleet.core.UnitId;

import java.util.List;
import java.util.Objects;

/**
 * A unit as discovery sees it: its lineage and its relative weight.
 *
 * @param id      the unit
 * @param parents the shards it was split or merged from (empty for Kafka and original shards)
 * @param weight  its share of the work relative to other units; 1 unless known better
 */
public record UnitSpec(UnitId id, List<UnitId> parents, double weight) {

    public static final double DEFAULT_WEIGHT = 1.0;

    public UnitSpec {
        Objects.requireNonNull(id, "id");
        parents = List.copyOf(parents);
        if (!(weight > 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("the weight of " + id + " must be positive and finite, not " + weight);
        }
    }

    public static UnitSpec of(UnitId id) {
        return new UnitSpec(id, List.of(), DEFAULT_WEIGHT);
    }

    public static UnitSpec child(UnitId id, UnitId... parents) {
        return new UnitSpec(id, List.of(parents), DEFAULT_WEIGHT);
    }
}
