package dev.streamfleet.simulation;

import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.Checkpointer;
import dev.streamfleet.worker.ConcurrentRecordProcessor;
import dev.streamfleet.worker.LostContext;
import dev.streamfleet.worker.ProcessorContext;
import dev.streamfleet.worker.RecordBatch;
import dev.streamfleet.worker.RevokeContext;
import dev.streamfleet.worker.ShardEndContext;
import dev.streamfleet.worker.StreamRecord;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A processor instance that records its callbacks and checks, as each begins, what must hold
 * then: callbacks of one instance in order and never overlapping, nothing after its one ending,
 * no other instance of the unit inside a callback on the same worker, and, for {@code process} and
 * {@code shardEnded}, a lease that the server says belongs to this worker's
 * live session. It may be
 * slow, hang, throw, or checkpoint inside {@code process} and {@code revoked}, as its
 * {@link Behaviour} says.
 */
final class Probe implements ConcurrentRecordProcessor {

    /** How an instance misbehaves; drawn per instance from the run's seed. */
    record Behaviour(double throwsPerBatch, double errorPerBatch, double slowPerBatch, Duration slow,
                     double hangPerBatch, boolean checkpointsInProcess, boolean checkpointsInRevoked) {
        static final Behaviour PLAIN = new Behaviour(0, 0, 0, Duration.ZERO, 0, false, false);
    }

    final int id;
    final SimWorker worker;
    final UnitId unit;
    final Behaviour behaviour;
    private final History history;
    final List<String> calls = new ArrayList<>();
    /** How many of its callbacks run now: above one only for batches of different lanes, at parallelism above 1. */
    int inside;
    String ending;
    boolean threw;
    /** What it processed and how long it was busy, which its worker's load meter samples. */
    final LoadMeter.Counts counts = new LoadMeter.Counts();
    /** The session its worker had when it was initialized. */
    long session = -1;

    /** The last assignment handed to a keeper before this instance was made: a revoke needs a later one. */
    final long madeAfterDelivery;

    Probe(int id, SimWorker worker, UnitId unit, Behaviour behaviour, History history, long madeAfterDelivery) {
        this.madeAfterDelivery = madeAfterDelivery;
        this.id = id;
        this.worker = worker;
        this.unit = unit;
        this.behaviour = behaviour;
        this.history = history;
    }

    private void enter(String call, boolean leaseNeeded) {
        SimLoop loop = worker.loop;
        loop.trace.add(loop.now(), worker.id.value(), this + " " + call);
        boolean batch = call.startsWith("process");
        if (inside > 0 && !(batch && worker.parallel)) {
            history.violation(this + ": " + call + " while its own " + calls.get(calls.size() - 1) + " runs");
        }
        if (ending != null) {
            history.violation(this + ": " + call + " after its ending " + ending);
        }
        if (calls.isEmpty() && !call.equals("initialize")) {
            history.violation(this + ": " + call + " before initialize");
        }
        for (Probe other : history.probesOf(unit)) {
            if (other != this && other.unit.equals(unit) && other.worker == worker && other.inside > 0) {
                history.violation(this + ": " + call + " while " + other + " of the same worker is inside "
                        + other.calls.get(other.calls.size() - 1));
            }
        }
        for (Probe other : history.probesOf(unit)) {
            // A runner whose worker runs and whose session still lives at the server overlaps no runner of
            // another worker; lost() is heard when someone else may own the unit already.
            if (!call.equals("lost") && other.unit.equals(unit) && other.worker != worker && other.inside > 0
                    && !other.calls.get(other.calls.size() - 1).equals("lost") && other.worker.alive()
                    && other.session == other.worker.client.sessionId() && worker.fleet.zk.alive(other.session)) {
                history.violation(this + ": " + call + " on " + worker + " while " + other + " on " + other.worker
                        + " is inside " + other.calls.get(other.calls.size() - 1));
            }
        }
        if (leaseNeeded && !worker.holdsAtServer(unit)) {
            history.violation(this + ": " + call + " on " + worker.id.value()
                    + " while the server says its live session does not hold the lease of " + unit);
        }
        calls.add(call);
        inside++;
    }

    private void exit() {
        inside--;
    }

    @Override
    public void initialize(ProcessorContext context) {
        // Not necessarily under a live lease: a worker frozen with its lease create in flight may, once
        // thawed, claim and start the unit before it hears that its session expired. It then hears lost()
        // before any batch (seed 1506): no record is handed over under a lapsed lease.
        enter("initialize", false);
        session = worker.client.sessionId();
        worker.loads.started(this);
        try {
            worker.fleet.childStarted(this);
            worker.fleet.garbage.started(this);
        } finally {
            exit();
        }
    }

    @Override
    public void process(RecordBatch batch, Checkpointer checkpointer) throws Exception {
        StreamRecord first = batch.records().get(0);
        enter("process " + describe(first) + "+" + batch.records().size(), true);
        long startedAt = worker.loop.nanos();
        try {
            List<SimStreams.Rec> recs = new ArrayList<>();
            for (StreamRecord record : batch.records()) {
                SimStreams.Rec rec = worker.fleet.streams.logs.get(unit).records
                        .get(History.indexOf(worker.fleet.streams.logs.get(unit), record.position()));
                recs.add(rec);
            }
            history.handed(this, recs);
            SimLoop loop = worker.loop;
            // Busy for its unit's cost per record, whatever the outcome, as production times a batch.
            counts.busyNanos += worker.fleet.costs.busy(unit, recs.size()).toNanos();
            double draw = loop.random.nextDouble();
            if (draw < behaviour.hangPerBatch() && loop.mayWait() && !worker.fleet.healed) {
                loop.trace.add(loop.now(), worker.id.value(), this + " hangs");
                loop.hold(release -> worker.fleet.hangs.add(release));
            } else if (draw < behaviour.hangPerBatch() + behaviour.slowPerBatch() && loop.mayWait()) {
                loop.take(behaviour.slow(), worker.host);
            }
            draw = loop.random.nextDouble();
            if (draw < behaviour.throwsPerBatch()) {
                threw = true;
                throw new Exception("simulated failure of " + this);
            }
            if (draw < behaviour.throwsPerBatch() + behaviour.errorPerBatch()) {
                threw = true;
                throw new AssertionError("simulated Error of " + this);
            }
            recs.forEach(history::processed);
            worker.memory.processed(unit, recs);
            counts.records += recs.size();
            for (StreamRecord record : batch.records()) {
                counts.bytes += record.data().length;
            }
            if (behaviour.checkpointsInProcess()) {
                checkpointer.checkpoint();
            }
        } finally {
            counts.busyNanos += worker.loop.nanos() - startedAt;
            exit();
        }
    }

    @Override
    public void revoked(RevokeContext context, Checkpointer checkpointer) {
        // Not necessarily under a live lease: a worker that is SUSPENDED when it shuts down hands its units over
        // without knowing whether its session lives; the fencing epoch rejects what such a processor writes.
        enter("revoked", false);
        worker.fleet.garbage.revoked(this);
        try {
            ending = "revoked";
            if (behaviour.checkpointsInRevoked()) {
                checkpointer.checkpoint();
            }
        } finally {
            exit();
        }
    }

    @Override
    public void lost(LostContext context) {
        enter("lost", false);
        ending = "lost";
        exit();
    }

    @Override
    public void shardEnded(ShardEndContext context, Checkpointer checkpointer) {
        enter("shardEnded", true);
        ending = "shardEnded";
        exit();
    }

    private String describe(StreamRecord record) {
        Position position = record.position();
        return "#" + History.indexOf(worker.fleet.streams.logs.get(unit), position);
    }

    @Override
    public String toString() {
        return "processor " + id + " of " + unit;
    }
}
