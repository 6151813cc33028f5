package dev.streamfleet.worker.internal.status;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * The fleet's throughput history, merged from the workers' own ones: points fall into slots of
 * {@link OwnHistory#INTERVAL} by their time; a slot adds up the workers' rates and Kafka lags and
 * takes the largest Kinesis lag. It ends at the slot every sampling worker has reached, so the
 * newest point never looks like a drop only because some worker has not sampled it yet. Workers
 * that left the fleet take their points with them.
 */
final class FleetHistory {

    private FleetHistory() {
    }

    static List<HistoryPoint> merge(Collection<List<HistoryPoint>> workers) {
        long interval = OwnHistory.INTERVAL.toMillis();
        TreeMap<Long, Slot> slots = new TreeMap<>();
        long end = Long.MAX_VALUE;
        for (List<HistoryPoint> points : workers) {
            if (points.isEmpty()) {
                continue;
            }
            TreeMap<Long, HistoryPoint> latestPerSlot = new TreeMap<>();
            for (HistoryPoint point : points) {
                latestPerSlot.put(Math.floorDiv(point.at().toEpochMilli(), interval), point);
            }
            latestPerSlot.forEach((slot, point) -> slots.computeIfAbsent(slot, s -> new Slot()).add(point));
            end = Math.min(end, latestPerSlot.lastKey());
        }
        List<HistoryPoint> merged = new ArrayList<>();
        for (Map.Entry<Long, Slot> slot : slots.headMap(end, true).entrySet()) {
            merged.add(slot.getValue().point(Instant.ofEpochMilli((slot.getKey() + 1) * interval)));
        }
        return merged.size() <= OwnHistory.POINTS ? merged : merged.subList(merged.size() - OwnHistory.POINTS, merged.size());
    }

    private static final class Slot {
        private double rate;
        private OptionalLong behind = OptionalLong.empty();
        private OptionalLong lag = OptionalLong.empty();

        void add(HistoryPoint point) {
            rate += point.recordsPerSecond();
            point.millisBehindLatest().ifPresent(millis ->
                    behind = OptionalLong.of(Math.max(millis, behind.orElse(Long.MIN_VALUE))));
            point.offsetLag().ifPresent(records -> lag = OptionalLong.of(records + lag.orElse(0)));
        }

        HistoryPoint point(Instant at) {
            return new HistoryPoint(at, rate, behind, lag);
        }
    }
}
