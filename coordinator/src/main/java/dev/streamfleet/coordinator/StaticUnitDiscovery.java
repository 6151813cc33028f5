package dev.streamfleet.coordinator;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/** A unit list fixed by configuration (or changed by hand in tests). Thread-safe. */
public final class StaticUnitDiscovery implements UnitDiscovery {

    private final AtomicReference<List<UnitSpec>> units;

    public StaticUnitDiscovery(List<UnitSpec> units) {
        this.units = new AtomicReference<>(List.copyOf(units));
    }

    /** Replaces the unit list; the leader sees it at its next discovery. */
    public void set(List<UnitSpec> units) {
        this.units.set(List.copyOf(units));
    }

    @Override
    public List<UnitSpec> discover() {
        return units.get();
    }
}
