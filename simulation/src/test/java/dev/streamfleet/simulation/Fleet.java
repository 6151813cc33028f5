package dev.streamfleet.simulation;

import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.internal.memory.InMemoryCheckpointTable;
import dev.streamfleet.coordinator.UnitState;
import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One simulated run of a fleet, decided by its seed alone: workers start, records are produced,
 * faults fall at random for a while (crashes, freezes past the session, ZooKeeper and DynamoDB cut
 * off, store errors, lost answers, reshards, new partitions, workers leaving and joining, slow,
 * hanging and throwing processors, garbage rows and znodes); then the faults stop, everything heals, and the run goes on
 * long enough for every promise of liveness to be due.
 */
final class Fleet {

    static final String DOMAIN = "sim-domain";
    /** The changes of a calm run: split, merge, new partition, a worker leaving gracefully, a worker joining, a processor slower or faster. */
    private static final int[] GRACEFUL = {6, 7, 8, 9, 10, 17};
    static final Duration SESSION = Duration.ofSeconds(10);
    static final Duration FAULTS_FROM = Duration.ofSeconds(3);
    static final Duration FAULTS_UNTIL = Duration.ofSeconds(45);
    static final Duration PRODUCING_UNTIL = Duration.ofSeconds(55);
    /** After the faults stop: a session, the stuck bound of a hung processor, a discovery interval and retries. */
    static final Duration SETTLED_AT = Duration.ofSeconds(150);

    final long seed;
    final Trace trace = new Trace();
    final SimLoop loop;
    final SimZooKeeper zk;
    final SimStreams streams;
    final CheckpointStore rows;
    final History history;
    final Garbage garbage;
    final SimStore.Errors storeErrors = new SimStore.Errors();
    final List<SimWorker> workers = new ArrayList<>();
    final List<Runnable> hangs = new ArrayList<>();
    final List<String> exitedStuck = new ArrayList<>();
    final ProcessorCosts costs;
    final Measures measures = new Measures();
    private final SimLoop.Host world;
    private final Instant start;
    private int names;
    private int probes;
    int faults;
    /** Wall clocks stepped forward, and back. */
    final int[] clockSteps = new int[2];
    /** Draws the clock steps apart from the other faults, so that adding them left every seed's other faults as they were. */
    private final java.util.Random clockDraw;
    /** Draws the garbage znodes that the leader reads, apart from the other faults. */
    private final java.util.Random znodeDraw;
    /** Retention trims that took the record a row's finished-beyond set was counted from. */
    int trimsPastFinishedSets;
    /**
     * Only graceful changes in this run: workers join and leave with SIGTERM, shards split and merge,
     * partitions are added; processors, the store and ZooKeeper never fail. Nothing may be delivered twice.
     */
    final boolean calm;
    /** The faults have stopped: processors no longer hang. */
    boolean healed;

    Fleet(long seed) {
        this.seed = seed;
        this.loop = new SimLoop(seed, trace);
        this.start = loop.now();
        this.zk = new SimZooKeeper(loop, SESSION, new java.util.Random(seed * 0xC2B2AE3D27D4EB4FL + 1));
        this.streams = new SimStreams(loop, 2 + loop.random.nextInt(3), 1 + loop.random.nextInt(3));
        InMemoryCheckpointTable table = new InMemoryCheckpointTable(loop.clock);
        this.rows = table.store("simulation");
        this.history = new History(loop, streams);
        this.garbage = new Garbage(this, table);
        streams.onFirstOpen = history::firstOpened;
        streams.onTrim = history::trimmed;
        streams.beforeOpen = this::trimAsFinishedSetIsResumed;
        streams.violation = history::violation;
        this.world = loop.host("world");
        this.calm = loop.random.nextDouble() < 0.15;
        this.costs = new ProcessorCosts(loop, measures);
        this.clockDraw = new java.util.Random(seed * 0x9E3779B97F4A7C15L);
        this.znodeDraw = new java.util.Random(seed * 0xD6E8FEB86659FD93L + 3);
    }

    /** A fleet for the scale mode: one topic of {@code partitions} partitions, no records, no faults but the planned ones. */
    Fleet(long seed, int partitions) {
        this.seed = seed;
        this.loop = new SimLoop(seed, trace);
        this.start = loop.now();
        this.zk = new SimZooKeeper(loop, SESSION, new java.util.Random(seed));
        this.streams = new SimStreams(loop, partitions, 0);
        InMemoryCheckpointTable table = new InMemoryCheckpointTable(loop.clock);
        this.rows = table.store("simulation");
        this.history = new History(loop, streams);
        this.garbage = new Garbage(this, table);
        streams.onFirstOpen = history::firstOpened;
        this.world = loop.host("world");
        this.calm = true;
        this.costs = new ProcessorCosts(loop, measures);
        this.clockDraw = new java.util.Random(seed);
        this.znodeDraw = new java.util.Random(seed + 3);
    }

    /**
     * The scale mode: {@code workers} workers start within 5 s; at 60 s, {@code changes} leave
     * gracefully, as many crash and as many join. Reports how long until every unit was READING on
     * one live worker, first and after the changes, and what that cost ZooKeeper.
     */
    String runScale(int workers, int changes) {
        List<SimWorker> started = new ArrayList<>();
        for (int i = 0; i < workers; i++) {
            at(Duration.ofMillis(loop.random.nextInt(5000)), () -> {
                SimWorker worker = startWorker();
                worker.host.threaded = false;
                started.add(worker);
            });
        }
        Duration changeAt = Duration.ofSeconds(60);
        long[] before = new long[3];
        Instant[] settled = new Instant[2];
        at(changeAt, () -> {
            before[0] = zk.requests;
            before[1] = zk.watchEvents;
            before[2] = zk.committed.generation;
            List<SimWorker> live = new ArrayList<>(live());
            java.util.Collections.shuffle(live, loop.random);
            for (int i = 0; i < changes && i < live.size(); i++) {
                live.get(i).leave();
            }
            for (int i = changes; i < 2 * changes && i < live.size(); i++) {
                live.get(i).crash();
            }
            for (int i = 0; i < changes; i++) {
                startWorker().host.threaded = false;
            }
        });
        // Measured from when the last worker started (at most 5 s) and from the changes.
        for (int second = 6; second < 180; second++) {
            boolean after = second > changeAt.toSeconds();
            at(Duration.ofSeconds(second), () -> {
                int phase = after ? 1 : 0;
                if (settled[phase] == null && allReadingOnce()) {
                    settled[phase] = loop.now();
                }
            });
        }
        loop.runUntil(start.plus(Duration.ofSeconds(180)));
        loop.close();
        long requests = zk.requests - before[0];
        long events = zk.watchEvents - before[1];
        long rebalances = zk.committed.generation - before[2];
        return String.format("scale: %d workers, %d units; every unit READING on one worker %s after the last start; %d left, %d crashed, %d joined at %d s:"
                        + " settled %s later; %d rebalances, %d ZooKeeper requests (%d per rebalance), %d watch events"
                        + " (%.1f per worker); %d violations",
                workers, streams.logs.size(), settled[0] == null ? "never"
                        : Duration.between(start.plusSeconds(5), settled[0]),
                changes, changes, changes, changeAt.toSeconds(),
                settled[1] == null ? "never" : Duration.between(start.plus(changeAt), settled[1]), rebalances,
                requests, rebalances == 0 ? 0 : requests / rebalances, events,
                (double) events / (workers + changes), history.violations.size());
    }

    private boolean allReadingOnce() {
        java.util.Map<UnitId, Integer> reading = new java.util.HashMap<>();
        for (SimWorker worker : live()) {
            worker.states().forEach((unit, state) -> {
                if (state == UnitState.READING) {
                    reading.merge(unit, 1, Integer::sum);
                }
            });
        }
        return reading.size() == streams.logs.size() && reading.values().stream().allMatch(n -> n == 1);
    }

    Probe newProbe(SimWorker worker, UnitId unit) {
        // A calm run's processors may be slow or throw (a batch that threw was not processed, so
        // it may be delivered again); they neither hang nor checkpoint on their own.
        double draw = calm ? loop.random.nextDouble() * 0.80 : loop.random.nextDouble();
        Probe.Behaviour behaviour;
        if (draw < 0.70) {
            behaviour = Probe.Behaviour.PLAIN;
        } else if (draw < 0.80) {
            behaviour = new Probe.Behaviour(0.05, 0, 0.2, Duration.ofMillis(50 + loop.random.nextInt(2000)), 0, false, false);
        } else if (draw < 0.88) {
            behaviour = new Probe.Behaviour(0, 0, 0, Duration.ZERO, 0, loop.random.nextBoolean(), true);
        } else if (draw < 0.94) {
            behaviour = new Probe.Behaviour(0.02, 0.01, 0, Duration.ZERO, 0, true, loop.random.nextBoolean());
        } else {
            behaviour = new Probe.Behaviour(0, 0, 0, Duration.ZERO, 0.01, false, false);
        }
        Probe probe = new Probe(++probes, worker, unit, behaviour, history, garbage.deliveries());
        history.started(probe);
        return probe;
    }

    /** A unit's processor starts: a child only once its parents' records were all processed. */
    void childStarted(Probe probe) {
        for (UnitId parent : streams.logs.get(probe.unit).parents) {
            SimStreams.Log log = streams.logs.get(parent);
            if (!log.closed || history.processedUpTo(parent) < log.records.size()) {
                history.violation(probe + " started before its parent " + parent + " was read to its end ("
                        + history.processedUpTo(parent) + " of " + log.records.size() + " records processed)");
            }
        }
    }

    private SimWorker startWorker() {
        SimWorker worker = new SimWorker(this, "w" + ++names);
        workers.add(worker);
        return worker;
    }

    private List<SimWorker> live() {
        return workers.stream().filter(SimWorker::alive).toList();
    }

    private <T> T pick(List<T> from) {
        return from.get(loop.random.nextInt(from.size()));
    }

    private void at(Duration after, Runnable task) {
        world.timer(after, task);
    }

    SimLoop.Host world() {
        return world;
    }

    void fault(String what) {
        faults++;
        trace.add(loop.now(), "world", "FAULT " + what);
    }

    /** Runs the seed's whole scenario and returns what it found. */
    Verdict run() {
        int initial = 1 + loop.random.nextInt(4);
        for (int i = 0; i < initial; i++) {
            at(Duration.ofMillis(loop.random.nextInt(2000)), this::startWorker);
        }
        produce();
        at(FAULTS_FROM, this::nextFault);
        // Calm runs too: a step forward must not cut a graceful move short, where duplicates count.
        at(FAULTS_FROM.plusMillis(clockDraw.nextInt(5000)), this::nextClockStep);
        if (!calm) {
            at(FAULTS_FROM.plusMillis(zk.faultPause()), this::nextFollowerFault);
            at(FAULTS_FROM.plusMillis(znodeDraw.nextInt(5000)), this::nextGarbageZnode);
        }
        at(FAULTS_UNTIL, this::heal);
        at(Duration.ofSeconds(1), this::keepOneAlive);
        try {
            loop.runUntil(start.plus(SETTLED_AT));
            checkSettled();
        } catch (SimLoop.Livelock e) {
            history.violation("livelock: " + e.getMessage());
        } finally {
            loop.close();
        }
        return new Verdict(seed, List.copyOf(history.violations), trace, history.processedRecords, history.checkpoints,
                history.finishedBeyond, history.atStart, faults, loop.taskFailures.size(), calm, garbage.counts(),
                new Trims(streams.trims, streams.truncations, history.trimmedUnprocessed(), streams.skipsReported,
                        streams.skipsUnpositioned, trimsPastFinishedSets),
                clockSteps[0], clockSteps[1], measures.summary(),
                new Kpl(streams.aggregatesPut, history.aggregatedProcessed, history.checkpointsInsideAggregates,
                        history.finishedNamingAggregated, streams.resumesInsideAggregates,
                        calm ? streams.resumesInsideAggregates : 0, streams.droppedOutsideRange, streams.reputs),
                zk.counts());
    }

    private void produce() {
        if (loop.elapsed().compareTo(PRODUCING_UNTIL) >= 0) {
            return;
        }
        int records = loop.random.nextInt(3);
        for (int i = 0; i < records; i++) {
            streams.produce(8);
        }
        at(Duration.ofMillis(100), this::produce);
    }

    /** A platform restarts what exits: with fewer than one live worker, a new one starts. */
    private void keepOneAlive() {
        if (live().isEmpty()) {
            startWorker();
        }
        at(Duration.ofSeconds(2), this::keepOneAlive);
    }

    private void nextFault() {
        if (loop.elapsed().compareTo(FAULTS_UNTIL) >= 0) {
            return;
        }
        List<SimWorker> live = live();
        int kind = calm ? GRACEFUL[loop.random.nextInt(GRACEFUL.length)] : loop.random.nextInt(18);
        switch (kind) {
            case 0 -> {
                if (!live.isEmpty()) {
                    fault("crash");
                    pick(live).crash();
                    at(Duration.ofMillis(500 + loop.random.nextInt(5000)), this::startWorker);
                }
            }
            case 1 -> {
                if (!live.isEmpty()) {
                    SimWorker worker = pick(live);
                    Duration length = Duration.ofMillis(1000 + loop.random.nextInt(20_000));
                    fault("freeze " + worker + " for " + length.toMillis() + " ms");
                    worker.host.freeze();
                    at(length, () -> {
                        trace.add(loop.now(), worker.id.value(), "FAULT thawed");
                        worker.host.thaw();
                    });
                }
            }
            case 2 -> {
                if (!live.isEmpty()) {
                    SimWorker worker = pick(live);
                    Duration length = Duration.ofMillis(500 + loop.random.nextInt(20_000));
                    fault("cut " + worker + " off from ZooKeeper for " + length.toMillis() + " ms");
                    worker.client.link(false);
                    at(length, () -> worker.client.link(true));
                }
            }
            case 3 -> {
                if (!live.isEmpty()) {
                    SimWorker worker = pick(live);
                    Duration length = Duration.ofMillis(500 + loop.random.nextInt(10_000));
                    fault("cut " + worker + " off from DynamoDB for " + length.toMillis() + " ms");
                    storeErrors.cutOff.add(worker.id.value());
                    at(length, () -> storeErrors.cutOff.remove(worker.id.value()));
                }
            }
            case 4 -> {
                storeErrors.failBefore = loop.random.nextDouble() * 0.2;
                storeErrors.landThenTimeOut = loop.random.nextDouble() * 0.1;
                fault(String.format("DynamoDB errors: %.2f fail, %.2f land then time out", storeErrors.failBefore,
                        storeErrors.landThenTimeOut));
            }
            case 5 -> {
                double lost = loop.random.nextDouble() * 0.1;
                fault(String.format("ZooKeeper answers lost: %.2f", lost));
                live.forEach(worker -> worker.client.lostAnswers = lost);
            }
            case 6 -> streams.split();
            case 7 -> streams.merge();
            case 8 -> {
                fault("new partition " + streams.addPartition());
            }
            case 9 -> {
                if (live.size() > 1) {
                    pick(live).leave();
                    faults++;
                }
            }
            case 10 -> {
                fault("a worker joins");
                startWorker();
            }
            case 11 -> {
                streams.failingReads = loop.random.nextDouble() * 0.3;
                fault(String.format("reads fail: %.2f", streams.failingReads));
            }
            case 12 -> {
                int slow = 100 + loop.random.nextInt(900);
                Duration length = Duration.ofMillis(1000 + loop.random.nextInt(10_000));
                fault("ZooKeeper slow: answers take up to " + slow + " ms for " + length.toMillis() + " ms");
                zk.maxLatencyMillis = slow;
                at(length, () -> zk.maxLatencyMillis = 15);
            }
            case 17 -> {
                faults++;
                costs.change(streams.logs.values().stream().filter(log -> !log.closed).map(log -> log.unit).toList());
            }
            case 14 -> garbage.tamperRow();
            case 16 -> {
                if (streams.trim()) {
                    faults++;
                }
            }
            case 15 -> {
                if (loop.random.nextBoolean()) {
                    garbage.garbleAssignment(live);
                } else {
                    garbage.forgeEndedReport();
                }
            }
            default -> {
                if (!hangs.isEmpty()) {
                    fault("a hung processor returns");
                    hangs.remove(0).run();
                }
            }
        }
        at(Duration.ofMillis(1000 + loop.random.nextInt(4000)), this::nextFault);
    }

    /**
     * A Kinesis unit is opened by its next owner, with a checkpoint that records records finished
     * beyond its position: during the faults, retention has just taken the checkpointed record and
     * the one after it, so the first record read is not the one the set was counted from. (Such rows
     * are rare at a random moment; at the hand-over they matter.) Draws nothing: the seeds' other
     * faults stay as they were.
     */
    private void trimAsFinishedSetIsResumed(SimStreams.Log log, java.util.Optional<dev.streamfleet.core.Position> resume) {
        if (calm || healed || log.unit.kind() != dev.streamfleet.core.SourceKind.KINESIS || resume.isEmpty()
                || !resume.get().isRecordPosition() || garbage.isGarbage(log.unit)) {
            return;
        }
        java.util.Optional<dev.streamfleet.checkpoint.Checkpoint> row = rows.read(log.unit);
        if (row.isEmpty() || row.get().finished().isEmpty() || !row.get().position().equals(resume)) {
            return;
        }
        int watermark = History.indexOf(log, resume.get());
        if (watermark + 2 > log.trimmedTo && watermark + 2 <= log.records.size()) {
            trimsPastFinishedSets++;
            faults++;
            streams.trim(log, watermark + 2);
        }
    }

    /**
     * A worker's wall clock steps by seconds to minutes, forward or back (NTP correcting a drifted
     * clock, an operator setting it), while time itself runs on: timers and the monotonic clock do
     * not move. The clock keeps its new offset.
     */
    private void nextClockStep() {
        List<SimWorker> live = live();
        if (loop.elapsed().compareTo(FAULTS_UNTIL) >= 0) {
            return;
        }
        if (!live.isEmpty()) {
            SimWorker worker = live.get(clockDraw.nextInt(live.size()));
            Duration by = Duration.ofMillis((long) Math.pow(10, 3 + 2.5 * clockDraw.nextDouble()));
            by = clockDraw.nextBoolean() ? by : by.negated();
            fault("the wall clock of " + worker + " steps " + (by.isNegative() ? "back " : "forward ")
                    + by.abs().toMillis() + " ms");
            worker.clock.step(by);
            clockSteps[by.isNegative() ? 1 : 0]++;
        }
        at(Duration.ofMillis(2000 + clockDraw.nextInt(8000)), this::nextClockStep);
    }

    /** Garbage under the nodes the leader reads, drawn apart from the other faults: every 2–10 s until they stop. */
    private void nextGarbageZnode() {
        if (loop.elapsed().compareTo(FAULTS_UNTIL) >= 0) {
            return;
        }
        garbage.garbleZnode(znodeDraw, live());
        at(Duration.ofMillis(2000 + znodeDraw.nextInt(8000)), this::nextGarbageZnode);
    }

    /** A ZooKeeper follower lags, is cut off from the leader or restarts, drawn apart from the other faults. */
    private void nextFollowerFault() {
        if (loop.elapsed().compareTo(FAULTS_UNTIL) >= 0) {
            return;
        }
        String fault = zk.nextFault();
        if (fault != null) {
            fault(fault);
        }
        at(Duration.ofMillis(zk.faultPause()), this::nextFollowerFault);
    }

    /** The faults stop: every process thaws and reconnects, the store and the streams stop failing. */
    private void heal() {
        trace.add(loop.now(), "world", "FAULT healed: no faults from here on" + (calm ? " (a calm run)" : ""));
        for (SimWorker worker : workers) {
            worker.host.thaw();
            worker.client.link(true);
            worker.client.lostAnswers = 0;
        }
        // A processor that still hangs keeps its unit READING until the stall bound (5 min) reports it;
        // the run does not wait that long, so the hung processors return now.
        healed = true;
        hangs.forEach(Runnable::run);
        hangs.clear();
        storeErrors.failBefore = 0;
        storeErrors.landThenTimeOut = 0;
        storeErrors.cutOff.clear();
        zk.maxLatencyMillis = 15;
        zk.heal();
        streams.failingReads = 0;
    }

    /** What must hold once the faults have stopped long enough: everything read, every unit in hand or visibly failed. */
    private void checkSettled() {
        List<SimWorker> live = live();
        for (SimStreams.Log log : streams.logs.values()) {
            UnitId unit = log.unit;
            String failedOn = null;
            int holders = 0;
            for (SimWorker worker : live) {
                UnitState state = worker.states().get(unit);
                if (state == UnitState.FAILED) {
                    failedOn = worker + ": " + worker.keeper.failures().get(unit);
                }
                if (state != null) {
                    holders++;
                }
            }
            if (failedOn != null) {
                garbage.failedVisibly(unit);
                trace.add(loop.now(), "world", unit + " FAILED visibly on " + failedOn);
                continue;
            }
            java.util.Optional<UnitId> garbageParent = garbage.garbageAncestor(unit);
            if (garbageParent.isPresent()) {
                // Order before availability: a parent whose row is garbage is never read to its end.
                trace.add(loop.now(), "world", unit + " waits for " + garbageParent.get() + ", whose row is garbage");
                continue;
            }
            if (garbage.isGarbage(unit) && history.processedUpTo(unit) < log.records.size()) {
                history.violation(unit + ": its row is garbage, yet it is not visibly FAILED with a reason and records #"
                        + history.processedUpTo(unit) + " to #" + (log.records.size() - 1) + " were never processed; held by: "
                        + describeHolders(unit, live));
                continue;
            }
            boolean ended = log.closed && history.processedUpTo(unit) >= log.records.size();
            if (log.firstOpenIndex < 0) {
                if (!log.records.isEmpty() || !ended) {
                    if (!log.records.isEmpty()) {
                        history.violation(unit + " was never read, with " + log.records.size() + " records, "
                                + SETTLED_AT.minus(FAULTS_UNTIL).toSeconds() + " s after the faults stopped");
                    }
                }
                continue;
            }
            int upTo = history.processedUpTo(unit);
            if (upTo < log.records.size()) {
                history.violation(unit + ": records #" + upTo + " to #" + (log.records.size() - 1) + " never processed, "
                        + SETTLED_AT.minus(FAULTS_UNTIL).toSeconds() + " s after the faults stopped; held by " + holders
                        + " live workers: " + describeHolders(unit, live));
            }
            if (!log.closed && (holders != 1 || !describeHolders(unit, live).endsWith("=READING"))) {
                history.violation(unit + " is not READING on exactly one live worker after the faults stopped: "
                        + describeHolders(unit, live));
            }
        }
        if (calm && history.duplicates > 0) {
            history.violation("graceful moves only, yet " + history.duplicates + " records were processed twice");
        }
        for (Probe probe : history.probes) {
            if (probe.ending != null || probe.calls.isEmpty()) {
                continue;
            }
            if (probe.worker.handedOver) {
                history.violation(probe + " on " + probe.worker + " got no ending, though its worker handed every unit"
                        + " over and left");
            } else if (probe.worker.alive() && (probe.worker.states().get(probe.unit) == null
                    || history.probesOf(probe.unit).stream().anyMatch(later -> later.id > probe.id && later.worker == probe.worker
                            && later.unit.equals(probe.unit)))) {
                history.violation(probe + " on " + probe.worker + " got no ending, though its worker no longer runs it");
            }
        }
        garbage.checkSettled();
        checkPutAgain();
        long reported = workers.stream().mapToLong(w -> w.metrics.counter("streamfleet.worker.retention.skips").getCount()).sum();
        if (reported != streams.skipsReported) {
            history.violation(streams.skipsReported + " reads skipped records the stream no longer retains, but the workers"
                    + " reported " + reported + " (streamfleet_worker_retention_skips): a skip went unreported");
        }
        for (String failure : loop.taskFailures) {
            history.violation("a task threw, which production logs at ERROR: " + failure);
        }
    }

    /** Every user record an aggregate carried outside its key's shard was put again to the shard that owns it. */
    private void checkPutAgain() {
        for (SimStreams.Log log : streams.logs.values()) {
            for (SimStreams.Put put : log.puts) {
                for (SimStreams.Outside outside : put.outside()) {
                    SimStreams.Rec copy = outside.reput();
                    SimStreams.Log owner = copy == null ? null : streams.logs.get(copy.unit());
                    if (copy == null || !copy.key().equals(outside.key()) || copy.keySeq() != outside.keySeq()
                            || !owner.range().contains(outside.key(), java.util.Optional.of(
                                    streams.explicitHashKeyOf(outside.key())))) {
                        history.violation(log.unit + ": the user record " + outside.key() + "#" + outside.keySeq() + " at "
                                + outside.position() + ", outside the shard's range, was not put again to its owner: " + copy);
                    }
                }
            }
        }
    }

    private static String describeHolders(UnitId unit, List<SimWorker> live) {
        StringBuilder out = new StringBuilder();
        for (SimWorker worker : live) {
            UnitState state = worker.states().get(unit);
            if (state != null) {
                out.append(worker).append('=').append(state).append(' ');
            }
        }
        return out.toString().trim();
    }

    /** The outcome of one seed. */
    record Verdict(long seed, List<String> violations, Trace trace, long processed, long checkpoints,
                   long checkpointsNamingFinished, long checkpointsAtStart, int faults,
                   int taskFailures, boolean calm, Garbage.Counts garbage, Trims trims, int clockStepsForward,
                   int clockStepsBack, Measures.Summary measures, Kpl kpl,
                   SimZooKeeper.Counts zookeeper) {
        boolean passed() {
            return violations.isEmpty();
        }
    }

    /**
     * KPL aggregates: how many were put, their user records processed, checkpoints and reads that
     * started inside one, user records production's reader dropped (and counted) for lying outside
     * their shard's range, and user records the producer put again to the shard that owns them.
     */
    record Kpl(long aggregates, long processed, long checkpointsInside, long finishedNaming, long resumesInside,
               long calmResumesInside, long dropped, long putAgain) {
        static Kpl none() {
            return new Kpl(0, 0, 0, 0, 0, 0, 0, 0);
        }

        Kpl plus(Kpl other) {
            return new Kpl(aggregates + other.aggregates, processed + other.processed,
                    checkpointsInside + other.checkpointsInside, finishedNaming + other.finishedNaming,
                    resumesInside + other.resumesInside, calmResumesInside + other.calmResumesInside,
                    dropped + other.dropped, putAgain + other.putAgain);
        }

        List<Long> all() {
            return List.of(aggregates, processed, checkpointsInside, finishedNaming, resumesInside, calmResumesInside,
                    dropped, putAgain);
        }

        @Override
        public String toString() {
            return String.format("%d aggregates put, %d of their user records processed, %d checkpoints inside an"
                    + " aggregate, %d naming user records of aggregates finished beyond them, %d reads that started"
                    + " inside an aggregate (%d in calm runs), %d user records dropped outside their shard's range"
                    + " (counted by the reader), %d put again to their owner", aggregates, processed, checkpointsInside,
                    finishedNaming, resumesInside, calmResumesInside, dropped, putAgain);
        }
    }

    /**
     * What retention took: Kinesis trims, Kafka truncations, the records they removed before any worker
     * processed them, and the reads that skipped records no longer retained (each reported).
     */
    record Trims(long trims, long truncations, long unprocessed, long skips, long unpositioned, long pastFinishedSets) {
        static Trims none() {
            return new Trims(0, 0, 0, 0, 0, 0);
        }

        Trims plus(Trims other) {
            return new Trims(trims + other.trims, truncations + other.truncations, unprocessed + other.unprocessed,
                    skips + other.skips, unpositioned + other.unpositioned, pastFinishedSets + other.pastFinishedSets);
        }

        @Override
        public String toString() {
            return String.format("%d Kinesis retention trims (%d of a checkpoint with records finished beyond it),"
                    + " %d Kafka truncations, %d records trimmed unprocessed,"
                    + " %d reads skipped past trimmed records (each reported), %d before their first position was"
                    + " fixed (not reported, as in production)", trims, pastFinishedSets, truncations, unprocessed, skips, unpositioned);
        }
    }
}
