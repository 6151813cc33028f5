package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.coordinator.RevokeReason;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.Checkpointer;
import dev.streamfleet.worker.ConcurrentRecordProcessor;
import dev.streamfleet.worker.LostContext;
import dev.streamfleet.worker.Parallelism;
import dev.streamfleet.worker.ProcessorContext;
import dev.streamfleet.worker.RecordProcessor;
import dev.streamfleet.worker.RecordProcessorFactory;
import dev.streamfleet.worker.RevokeContext;
import dev.streamfleet.worker.ShardEndContext;

import java.util.Locale;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processor of one unit: made and initialized once, after which it hears exactly one ending
 * (revoked, lost or shardEnded), once, and only if its {@code initialize} returned. An ending
 * that throws is logged and counted, like a batch that throws, and the unit ends all the same.
 * Owned by the unit's mailbox.
 */
final class UnitProcessor {

    private static final Logger LOG = LoggerFactory.getLogger(UnitProcessor.class);

    /** Which ending the processor heard; it hears one at most. */
    private enum Ending { NONE, REVOKED, LOST, SHARD_ENDED }

    /** What the processor does with one of its endings. */
    private interface Call {
        void on(RecordProcessor processor) throws Exception;
    }

    private final UnitId unit;
    private final UnitMetrics metrics;
    /** Set once its initialize returned. */
    private RecordProcessor processor;
    private Ending heard = Ending.NONE;

    UnitProcessor(UnitId unit, UnitMetrics metrics) {
        this.unit = unit;
        this.metrics = metrics;
    }

    /**
     * Makes and initializes the processor; returns why it could not start, if it could not. One that
     * may not be called concurrently at a parallelism above 1 is refused before its initialize.
     */
    Optional<String> start(RecordProcessorFactory processors, Parallelism parallelism, ProcessorContext context) {
        try {
            RecordProcessor created = processors.create(unit);
            if (parallelism.isConcurrent() && !(created instanceof ConcurrentRecordProcessor)) {
                return Optional.of("processing.parallelism is " + parallelism.parallelism() + " with ordering "
                        + parallelism.ordering().configName() + ", but " + created.getClass().getName()
                        + " does not implement " + ConcurrentRecordProcessor.class.getSimpleName()
                        + ", so it may not be called concurrently");
            }
            created.initialize(context);
            processor = created;
            return Optional.empty();
        } catch (Exception | LinkageError | AssertionError | StackOverflowError e) {
            return Optional.of("the processor could not start: " + e);
        }
    }

    /** The processor once started; null before. */
    RecordProcessor get() {
        return processor;
    }

    boolean started() {
        return processor != null;
    }

    /** It hears lost, unless it never started or heard its ending already. */
    void lost(String reason) {
        hear(Ending.LOST, p -> p.lost(new LostContext(unit, reason)));
    }

    /** It hears revoked, unless it never started or heard its ending; whether revoked returned normally. */
    boolean revoked(RevokeReason reason, Checkpointer checkpointer) {
        return hear(Ending.REVOKED, p -> p.revoked(new RevokeContext(unit, reason), checkpointer));
    }

    /** It hears shardEnded, unless it never started or heard its ending already. */
    void shardEnded(Optional<Position> last, Checkpointer checkpointer) {
        hear(Ending.SHARD_ENDED, p -> p.shardEnded(new ShardEndContext(unit, last), checkpointer));
    }

    private boolean hear(Ending ending, Call callback) {
        if (processor == null || heard != Ending.NONE) {
            return false;
        }
        heard = ending;
        try {
            callback.on(processor);
            return true;
        } catch (Exception | LinkageError | AssertionError | StackOverflowError e) {
            metrics.failed();
            LOG.warn("{}: the processor's {} failed: {}", unit, ending.name().toLowerCase(Locale.ROOT), e.toString());
            return false;
        }
    }
}
