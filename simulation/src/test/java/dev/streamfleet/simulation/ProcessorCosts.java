package dev.streamfleet.simulation;

import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * How long each unit's processor is busy per record: drawn per unit from the run's seed, so that
 * units weigh differently, and drawn again when a fault makes one unit's processor slower or
 * faster. A processor does not wait for it: it is the busy time its worker measures, as
 * production measures the time its processor spent on each batch.
 */
final class ProcessorCosts {

    private final SimLoop loop;
    private final Map<UnitId, Duration> perRecord = new HashMap<>();
    private final Measures measures;

    ProcessorCosts(SimLoop loop, Measures measures) {
        this.loop = loop;
        this.measures = measures;
    }

    /** The busy time of a batch of {@code records} records of the unit, at its cost now. */
    Duration busy(UnitId unit, int records) {
        return perRecord.computeIfAbsent(unit, u -> draw()).multipliedBy(records);
    }

    /** Most units are light; some take up to 250 ms a record, a quarter of a processor at two records a second. */
    private Duration draw() {
        double share = loop.random.nextDouble();
        return Duration.ofMillis((long) (250 * share * share * share));
    }

    /** One of the units gets another processor cost: its processor got slower or faster. */
    void change(java.util.List<UnitId> known) {
        if (known.isEmpty()) {
            return;
        }
        UnitId unit = known.get(loop.random.nextInt(known.size()));
        Duration before = perRecord.computeIfAbsent(unit, u -> draw());
        Duration after = draw();
        perRecord.put(unit, after);
        measures.costChanges++;
        loop.trace.add(loop.now(), "world", "FAULT the processor of " + unit + " now takes " + after.toMillis()
                + " ms a record, not " + before.toMillis());
    }
}
