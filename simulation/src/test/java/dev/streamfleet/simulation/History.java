package dev.streamfleet.simulation;

import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the processors and the checkpoint store saw, checked as it happens against the promises
 * that hold at every moment: a checkpoint covers only processed records and never moves back, a
 * key's records are processed in order, a batch is handed over only under a lease the server
 * says is its worker's, and one worker never runs two callbacks of a unit at once.
 */
final class History {

    private final SimLoop loop;
    private final SimStreams streams;
    final List<String> violations = new ArrayList<>();
    /** Each unit's record indexes processed at least once. */
    private final Map<UnitId, Set<Integer>> processed = new HashMap<>();
    /** Per unit: every index below this is processed or trimmed, from where the unit was first read. */
    private final Map<UnitId, Integer> processedUpTo = new HashMap<>();
    /** Per key: every key sequence number below this was processed or lies before where its unit began. */
    private final Map<String, Integer> keyDoneUpTo = new HashMap<>();
    private final Map<String, Set<Integer>> keyDone = new HashMap<>();
    final List<Probe> probes = new ArrayList<>();
    /** The processor instances of each unit, oldest first. */
    private final Map<UnitId, List<Probe>> probesByUnit = new HashMap<>();
    long processedRecords;
    long duplicates;
    long checkpoints;
    /** Checkpoints that named records finished beyond their position. */
    long finishedBeyond;
    /** Checkpoints at a starting point, with records finished beyond it. */
    long atStart;
    /** User records of KPL aggregates processed; checkpoints inside an aggregate (user records of it on either side). */
    long aggregatedProcessed;
    long checkpointsInsideAggregates;
    /** Checkpoints whose finished-beyond set named a user record of an aggregate. */
    long finishedNamingAggregated;

    History(SimLoop loop, SimStreams streams) {
        this.loop = loop;
        this.streams = streams;
    }

    void started(Probe probe) {
        probes.add(probe);
        probesByUnit.computeIfAbsent(probe.unit, u -> new ArrayList<>()).add(probe);
    }

    List<Probe> probesOf(UnitId unit) {
        return probesByUnit.getOrDefault(unit, List.of());
    }

    void violation(String what) {
        violations.add(String.format("[%s] %s", loop.elapsed(), what));
        loop.trace.add(loop.now(), "VIOLATION", what);
    }

    /** Where the unit was first read: records before it are not owed (the default initialPosition). */
    void firstOpened(SimStreams.Log log) {
        if (log.born.isAfter(startOfRun()) && log.firstOpenIndex > 0) {
            violation(log.unit + " appeared after the fleet first read its source but was started at record "
                    + log.firstOpenIndex + ", not at its beginning: " + log.firstOpenIndex + " records skipped");
        }
        for (int i = 0; i < log.firstOpenIndex; i++) {
            SimStreams.Rec rec = log.records.get(i);
            keyMark(rec.key(), rec.keySeq());
        }
        processedUpTo.putIfAbsent(log.unit, log.firstOpenIndex);
    }

    private java.time.Instant startOfRun() {
        return loop.now().minus(loop.elapsed());
    }

    /**
     * A processor instance is handed these records, in this order: every earlier record of each
     * one's key must be processed by now, or come before it in the batch.
     */
    void handed(Probe probe, List<SimStreams.Rec> batch) {
        Map<String, Set<Integer>> inBatch = new HashMap<>();
        for (SimStreams.Rec rec : batch) {
            Set<Integer> before = inBatch.computeIfAbsent(rec.key(), k -> new HashSet<>());
            Set<Integer> done = keyDone.getOrDefault(rec.key(), Set.of());
            int upTo = keyDoneUpTo.getOrDefault(rec.key(), 1);
            while (done.contains(upTo) || before.contains(upTo)) {
                upTo++;
            }
            if (rec.keySeq() > upTo) {
                violation("key " + rec.key() + ": record " + rec.keySeq() + " (" + rec.unit() + " #" + rec.index()
                        + ") handed to " + probe + " before its record " + upTo + " was processed");
                return;
            }
            before.add(rec.keySeq());
        }
    }

    /** A processor instance processed this record: its {@code process} returned. */
    void processed(SimStreams.Rec rec) {
        Set<Integer> done = processed.computeIfAbsent(rec.unit(), u -> new HashSet<>());
        if (!done.add(rec.index())) {
            duplicates++;
            loop.trace.add(loop.now(), "history", rec.unit() + " #" + rec.index() + " processed again");
        }
        processedRecords++;
        SimStreams.Log log = streams.logs.get(rec.unit());
        aggregatedProcessed += log.aggregated(rec.index()) ? 1 : 0;
        advance(log);
        keyMark(rec.key(), rec.keySeq());
    }

    /**
     * Retention removed these records. One no worker processed is not lost by the fleet, but nobody
     * owes it any more: checkpoints may cover it, and its key's later records may be handed over.
     */
    void trimmed(SimStreams.Log log, int from, int to) {
        Set<Integer> done = processed.getOrDefault(log.unit, Set.of());
        for (int i = from; i < to; i++) {
            SimStreams.Rec rec = log.records.get(i);
            if (!done.contains(i)) {
                keyMark(rec.key(), rec.keySeq());
            }
        }
        advance(log);
    }

    /** Records that retention removed and that no worker processed, before or after (a batch in hand when it struck). */
    long trimmedUnprocessed() {
        long count = 0;
        for (SimStreams.Log log : streams.logs.values()) {
            Set<Integer> done = processed.getOrDefault(log.unit, Set.of());
            for (int i = Math.max(0, log.firstOpenIndex); i < log.trimmedTo; i++) {
                count += done.contains(i) ? 0 : 1;
            }
        }
        return count;
    }

    private void advance(SimStreams.Log log) {
        Set<Integer> done = processed.getOrDefault(log.unit, Set.of());
        int upTo = processedUpTo.getOrDefault(log.unit, 0);
        while (done.contains(upTo) || upTo < log.trimmedTo) {
            upTo++;
        }
        processedUpTo.put(log.unit, upTo);
    }

    private void keyMark(String key, int seq) {
        Set<Integer> seen = keyDone.computeIfAbsent(key, k -> new HashSet<>());
        seen.add(seq);
        int upTo = keyDoneUpTo.getOrDefault(key, 1);
        while (seen.contains(upTo)) {
            upTo++;
        }
        keyDoneUpTo.put(key, upTo);
    }

    /**
     * The store took a checkpoint at {@code position} with the records {@code finished} beyond it,
     * after {@code before}. A Kinesis set counts from the record it names; a Kafka set from the
     * offset after the watermark. A starting point (a Kinesis unit with nothing finished since it)
     * covers no record itself.
     */
    void checkpointed(String worker, UnitId unit, Position position, FinishedBeyond finished, Position before) {
        checkpoints++;
        SimStreams.Log log = streams.logs.get(unit);
        boolean atStartingPoint = !position.isRecordPosition();
        int index = atStartingPoint ? -1 : indexOf(log, position);
        int upTo = processedUpTo.getOrDefault(unit, log.firstOpenIndex < 0 ? 0 : log.firstOpenIndex);
        checkpointsInsideAggregates += index >= 0 && log.insideAggregate(index) ? 1 : 0;
        if (index >= upTo) {
            violation(worker + " checkpointed " + unit + " at record #" + index + " but #" + upTo
                    + " was never processed");
        }
        if (before != null && before.isRecordPosition() && (atStartingPoint || indexOf(log, before) > index)) {
            violation(worker + " moved the checkpoint of " + unit + " back from #" + indexOf(log, before) + " to "
                    + (atStartingPoint ? position : "#" + index));
        }
        if (finished.isEmpty()) {
            return;
        }
        finishedBeyond++;
        atStart += atStartingPoint ? 1 : 0;
        int base = finished.first().map(first -> indexOf(log, first)).orElse(index + 1);
        Set<Integer> done = processed.getOrDefault(unit, Set.of());
        boolean[] namesAggregated = {false};
        finished.forEachRange((start, end) -> {
            for (long ordinal = start; ordinal < end; ordinal++) {
                int recordIndex = (int) (base + ordinal);
                namesAggregated[0] |= recordIndex < log.records.size() && log.aggregated(recordIndex);
                if (!done.contains(recordIndex)) {
                    violation(worker + " checkpointed " + unit + " at " + (atStartingPoint ? position : "#" + index)
                            + " with record #" + recordIndex + " finished beyond it, but it was never processed");
                    return;
                }
            }
        });
        finishedNamingAggregated += namesAggregated[0] ? 1 : 0;
    }

    /** Whether a processor processed the unit's record at {@code index} at least once. */
    boolean wasProcessed(UnitId unit, int index) {
        return processed.getOrDefault(unit, Set.of()).contains(index);
    }

    int processedUpTo(UnitId unit) {
        return processedUpTo.getOrDefault(unit, 0);
    }

    static int indexOf(SimStreams.Log log, Position position) {
        if (position instanceof Position.Offset offset) {
            return (int) offset.nextOffset() - 1;
        }
        return log.indexOf(position);
    }
}
