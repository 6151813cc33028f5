package dev.streamfleet.it.worker;

import dev.streamfleet.coordinator.UnitLoad;
import dev.streamfleet.core.UnitId;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What the workers of a fleet in the test JVM measured: each worker's load, and whether they are balanced around a hot unit. */
public final class FleetLoads {

    private FleetLoads() {
    }

    /** Each worker's measured load (the sum over the units it holds now), by its id and units. */
    public static Map<String, Double> byWorker(List<RunningKafkaWorker> fleet) {
        Map<String, Double> loads = new HashMap<>();
        for (RunningKafkaWorker running : fleet) {
            double sum = running.worker().loads().values().stream().mapToDouble(UnitLoad::load).sum();
            loads.put(running.worker().id().value() + running.worker().loads().keySet(), sum);
        }
        return loads;
    }

    /**
     * Whether every unit has been measured, the worker with the hot unit carries at most a quarter
     * more than that unit, and the other workers' loads are within a quarter of their mean.
     */
    public static boolean balanced(List<RunningKafkaWorker> fleet, UnitId hot, int units) {
        Map<UnitId, Double> unitLoads = new HashMap<>();
        fleet.forEach(r -> r.worker().loads().forEach((unit, load) -> unitLoads.put(unit, load.load())));
        if (unitLoads.size() < units || !unitLoads.containsKey(hot)) {
            return false;
        }
        double hotLoad = unitLoads.get(hot);
        List<Double> others = new ArrayList<>();
        for (RunningKafkaWorker running : fleet) {
            double sum = running.worker().loads().values().stream().mapToDouble(UnitLoad::load).sum();
            if (running.worker().loads().containsKey(hot)) {
                if (sum > 1.25 * hotLoad) {
                    return false;
                }
            } else {
                others.add(sum);
            }
        }
        double mean = others.stream().mapToDouble(Double::doubleValue).average().orElse(0);
        return others.size() == fleet.size() - 1 && others.stream().allMatch(l -> l <= 1.25 * mean && l >= 0.75 * mean);
    }
}
