package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.coordinator.UnitEvents;

import java.util.List;

/** What a unit reports to its lease keeper, as lines a test can check: "ended", "lost", "failed: why". */
final class RecordingUnitEvents implements UnitEvents {

    private final List<String> events;

    RecordingUnitEvents(List<String> events) {
        this.events = events;
    }

    @Override
    public void ended() {
        events.add("ended");
    }

    @Override
    public void lost(String reason) {
        events.add("lost");
    }

    @Override
    public void failed(String reason) {
        events.add("failed: " + reason);
    }
}
