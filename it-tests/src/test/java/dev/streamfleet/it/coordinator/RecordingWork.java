package dev.streamfleet.it.coordinator;

import dev.streamfleet.checkpoint.OwnershipLostException;
import dev.streamfleet.coordinator.RevokeReason;
import dev.streamfleet.coordinator.UnitContext;
import dev.streamfleet.coordinator.UnitWork;
import dev.streamfleet.coordinator.UnitWorkFactory;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for a unit reader: "processes" one record every tick by advancing a Kafka-style
 * offset and checkpointing it under its lease's epoch, and reports to the ownership monitor.
 * A fenced checkpoint stops it and reports the unit lost, as a real reader must.
 */
public final class RecordingWork implements UnitWork {

    /** How often a stand-in processes a record and checkpoints, unless told otherwise. */
    static final long DEFAULT_TICK_MILLIS = 20;

    private final UnitContext context;
    private final OwnershipMonitor monitor;
    private final ScheduledFuture<?> ticking;
    private long next;
    private boolean paused;
    private boolean stopped;
    private final List<Long> rejectedCheckpoints = new CopyOnWriteArrayList<>();

    private RecordingWork(UnitContext context, OwnershipMonitor monitor, ScheduledExecutorService ticker, long tickMillis) {
        this.context = context;
        this.monitor = monitor;
        this.next = context.claimed().position().map(RecordingWork::counterOf).orElse(0L);
        monitor.acquired(context.unit(), context.worker());
        this.ticking = ticker.scheduleWithFixedDelay(this::tick, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
    }

    /** Builds stand-ins and remembers each, by unit, newest last. */
    static final class Factory implements UnitWorkFactory {
        private final OwnershipMonitor monitor;
        private final ScheduledExecutorService ticker;
        private final long tickMillis;
        private final Map<UnitId, List<RecordingWork>> started = new ConcurrentHashMap<>();

        Factory(OwnershipMonitor monitor, ScheduledExecutorService ticker, long tickMillis) {
            this.monitor = monitor;
            this.ticker = ticker;
            this.tickMillis = tickMillis;
        }

        @Override
        public UnitWork start(UnitContext context) {
            RecordingWork work = new RecordingWork(context, monitor, ticker, tickMillis);
            started.computeIfAbsent(context.unit(), u -> new CopyOnWriteArrayList<>()).add(work);
            return work;
        }

        List<RecordingWork> of(UnitId unit) {
            return started.getOrDefault(unit, List.of());
        }
    }

    /** Kafka units count in offsets, Kinesis units in sequence numbers. */
    Position position(long counter) {
        return switch (context.unit().kind()) {
            case KAFKA -> new Position.Offset(counter);
            case KINESIS -> new Position.Sequence(java.math.BigInteger.valueOf(counter), 0);
        };
    }

    static long counterOf(Position position) {
        if (position instanceof Position.Offset offset) {
            return offset.nextOffset();
        }
        if (position instanceof Position.Sequence sequence) {
            return sequence.sequenceNumber().longValueExact();
        }
        return 0;
    }

    UnitContext context() {
        return context;
    }

    synchronized long nextOffset() {
        return next;
    }

    synchronized boolean isStopped() {
        return stopped;
    }

    private synchronized void tick() {
        if (paused || stopped) {
            return;
        }
        next++;
        try {
            context.store().checkpoint(context.unit(), position(next), context.epoch());
        } catch (OwnershipLostException e) {
            rejectedCheckpoints.add(next);
            stopLost("fenced: " + e.getMessage());
        }
    }

    /** Reads the shard to its end: marks it ENDED and tells the coordinator. */
    synchronized void reachShardEnd() {
        stopped = true;
        ticking.cancel(false);
        context.store().markEnded(context.unit(), context.epoch());
        release("ended");
        context.events().ended();
    }

    /**
     * Reaches the shard's end and marks it in the store, but the report to ZooKeeper never lands
     * (its worker lost the connection just then): only the row says that the unit ended.
     */
    synchronized void reachShardEndUnreported() {
        stopped = true;
        ticking.cancel(false);
        context.store().markEnded(context.unit(), context.epoch());
        release("ended");
    }

    private void stopLost(String reason) {
        stopped = true;
        ticking.cancel(false);
        release("lost");
        context.events().lost(reason);
    }

    /** A paused reader reads nothing, so the monitor sees it as not holding the unit. */
    @Override
    public synchronized void pause() {
        if (!paused && !stopped) {
            monitor.released(context.unit(), context.worker(), "paused");
        }
        paused = true;
    }

    @Override
    public synchronized void resume() {
        if (paused && !stopped) {
            monitor.acquired(context.unit(), context.worker());
        }
        paused = false;
    }

    @Override
    public CompletionStage<Boolean> revoke(Duration timeout, RevokeReason reason) {
        return CompletableFuture.completedFuture(drain());
    }

    private synchronized boolean drain() {
        if (stopped) {
            return false;
        }
        stopped = true;
        ticking.cancel(false);
        try {
            context.store().checkpoint(context.unit(), position(next), context.epoch());
            release("released");
            return true;
        } catch (OwnershipLostException e) {
            release("lost");
            return false;
        }
    }

    @Override
    public synchronized CompletionStage<Void> abandon(String reason) {
        if (!stopped) {
            stopped = true;
            ticking.cancel(false);
            release("abandoned");
        }
        return CompletableFuture.completedFuture(null);
    }

    private void release(String how) {
        if (!paused) {
            monitor.released(context.unit(), context.worker(), how);
        }
    }
}
