package dev.streamfleet.coordinator;

/** Starts the reading of a unit whose lease this worker holds and whose row it has claimed. */
@FunctionalInterface
public interface UnitWorkFactory {

    /** Starts reading; called on a coordinator thread; must not block for long. */
    UnitWork start(UnitContext context);
}
