package dev.streamfleet.simulation;

import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.Fetch;
import dev.streamfleet.worker.Parallelism;
import dev.streamfleet.worker.RecordSource;
import dev.streamfleet.worker.SourceBinding;
import dev.streamfleet.worker.StreamRecord;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks from outside that a worker's unit runners keep no more records in memory than their
 * bounds allow: the records a runner's source handed it and its processor has not processed yet.
 * At parallelism 1 a runner reads its next batch only once the last one was processed; above 1 it
 * reads only while fewer than {@code maxInFlight} records are in flight and fewer than
 * {@code maxSpan} are kept after the first unfinished one ({@link Parallelism}), so a fetch may
 * exceed each bound by at most its own records less one. Records that were processed before
 * they were read (a resumed checkpoint may skip them) are not counted: the check errs on the
 * side of counting fewer.
 */
final class MemoryBounds {

    private final SimWorker worker;
    private final Parallelism parallelism;
    /** Each unit's tally on this worker, of the source opened last for it. */
    private final Map<UnitId, Tally> current = new HashMap<>();

    /** One source's records that its runner has not processed, in the order read. */
    private static final class Tally {
        final Set<Integer> unprocessed = new HashSet<>();
        final Deque<Integer> kept = new ArrayDeque<>();
        /** Whether its runner reads through lanes (parallelism above 1). */
        final boolean lanes;

        Tally(boolean lanes) {
            this.lanes = lanes;
        }
    }

    MemoryBounds(SimWorker worker, Parallelism parallelism) {
        this.worker = worker;
        this.parallelism = parallelism;
    }

    /** The worker's sources, each counted. */
    List<SourceBinding> counting(List<SourceBinding> bindings) {
        return bindings.stream().map(b -> new SourceBinding(b.kind(), b.stream(), b.discovery(), (unit, resumeAfter) -> {
            Tally tally = new Tally(parallelism.parallelism() > 1);
            current.put(unit, tally);
            return new Counted(unit, b.sources().open(unit, resumeAfter), tally);
        })).toList();
    }

    /** The unit's processor on this worker processed these records. */
    void processed(UnitId unit, List<SimStreams.Rec> records) {
        Tally tally = current.get(unit);
        if (tally != null) {
            records.forEach(rec -> tally.unprocessed.remove(rec.index()));
        }
    }

    private void fetched(UnitId unit, Tally tally, List<StreamRecord> records) {
        SimStreams.Log log = worker.fleet.streams.logs.get(unit);
        int before = tally.unprocessed.size();
        int counted = 0;
        for (StreamRecord record : records) {
            int index = History.indexOf(log, record.position());
            if (!worker.fleet.history.wasProcessed(unit, index) && tally.unprocessed.add(index)) {
                tally.kept.add(index);
                counted++;
            }
        }
        while (!tally.kept.isEmpty() && !tally.unprocessed.contains(tally.kept.peekFirst())) {
            tally.kept.pollFirst();
        }
        if (counted == 0) {
            return;
        }
        Measures measures = worker.fleet.measures;
        measures.boundChecks++;
        int inMemory = tally.unprocessed.size();
        if (!tally.lanes) {
            if (inMemory > counted) {
                worker.fleet.history.violation(worker + "'s runner of " + unit + " at parallelism 1 read " + counted
                        + " more records while " + before + " it had read were not processed: " + inMemory
                        + " records in memory, the bound is one batch");
            }
            if (inMemory > measures.serialPeak) {
                measures.serialPeak = inMemory;
                measures.serialBoundAtPeak = counted;
            }
            return;
        }
        int inFlightBound = parallelism.maxInFlight() - 1 + counted;
        if (inMemory > inFlightBound) {
            worker.fleet.history.violation(worker + "'s runner of " + unit + " read " + counted + " more records with "
                    + before + " in flight: " + inMemory + " in memory, more than maxInFlight " + parallelism.maxInFlight()
                    + " and one fetch allow (" + inFlightBound + ")");
        }
        if ((double) inMemory / inFlightBound > (double) measures.inFlightPeak / Math.max(1, measures.inFlightBoundAtPeak)) {
            measures.inFlightPeak = inMemory;
            measures.inFlightBoundAtPeak = inFlightBound;
        }
        int span = tally.kept.size();
        long spanBound = parallelism.maxSpan() - 1 + counted;
        if (span > spanBound) {
            worker.fleet.history.violation(worker + "'s runner of " + unit + " read " + counted + " more records and keeps "
                    + span + " after its first unfinished one, more than the span bound " + parallelism.maxSpan()
                    + " and one fetch allow (" + spanBound + ")");
        }
        if ((double) span / spanBound > (double) measures.spanPeak / Math.max(1, measures.spanBoundAtPeak)) {
            measures.spanPeak = span;
            measures.spanBoundAtPeak = (int) spanBound;
        }
    }

    /** A source whose fetches are counted; the rest is passed on. */
    private final class Counted implements RecordSource {
        private final UnitId unit;
        private final RecordSource source;
        private final Tally tally;

        Counted(UnitId unit, RecordSource source, Tally tally) {
            this.unit = unit;
            this.source = source;
            this.tally = tally;
        }

        @Override
        public Fetch fetch() {
            Fetch fetch = source.fetch();
            if (current.get(unit) == tally) {
                fetched(unit, tally, fetch.records());
            }
            return fetch;
        }

        @Override
        public Duration nextDelay(Fetch last) {
            return source.nextDelay(last);
        }

        @Override
        public void onRecordsAvailable(Runnable wake) {
            source.onRecordsAvailable(wake);
        }

        @Override
        public void checkpointed(Position position) {
            source.checkpointed(position);
        }

        @Override
        public void release() {
            source.release();
        }

        @Override
        public void close() {
            current.remove(unit, tally);
            source.close();
        }
    }
}
