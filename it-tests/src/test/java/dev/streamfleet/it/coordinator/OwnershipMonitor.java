package dev.streamfleet.it.coordinator;

import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.UnitId;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Records who held which unit when, across every in-JVM worker of a test, and notes every
 * moment at which two workers held one unit at once.
 */
final class OwnershipMonitor {

    /** One acquisition or release. */
    record Event(long nanos, UnitId unit, WorkerId worker, boolean acquired, String how) {
    }

    private final Map<UnitId, WorkerId> holders = new HashMap<>();
    private final List<Event> events = new ArrayList<>();
    private final List<String> overlaps = new ArrayList<>();

    synchronized void acquired(UnitId unit, WorkerId worker) {
        WorkerId holder = holders.get(unit);
        if (holder != null) {
            overlaps.add(unit + " acquired by " + worker + " while " + holder + " still held it");
        }
        holders.put(unit, worker);
        events.add(new Event(System.nanoTime(), unit, worker, true, "acquired"));
    }

    synchronized void released(UnitId unit, WorkerId worker, String how) {
        if (worker.equals(holders.get(unit))) {
            holders.remove(unit);
        }
        events.add(new Event(System.nanoTime(), unit, worker, false, how));
    }

    synchronized List<String> overlaps() {
        return List.copyOf(overlaps);
    }

    synchronized Map<UnitId, WorkerId> holders() {
        return Map.copyOf(holders);
    }

    synchronized Optional<WorkerId> holder(UnitId unit) {
        return Optional.ofNullable(holders.get(unit));
    }

    synchronized List<Event> events() {
        return List.copyOf(events);
    }

    /** Every acquisition after {@code nanos}. */
    synchronized List<Event> acquisitionsSince(long nanos) {
        return events.stream().filter(e -> e.acquired() && e.nanos() > nanos).toList();
    }

    synchronized int acquisitionsOf(UnitId unit) {
        return (int) events.stream().filter(e -> e.acquired() && e.unit().equals(unit)).count();
    }
}
