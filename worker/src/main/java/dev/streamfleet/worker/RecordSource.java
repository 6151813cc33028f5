package dev.streamfleet.worker;

import dev.streamfleet.core.Position;

import java.time.Duration;

/**
 * Where one unit's records come from: a Kinesis shard iterator or a Kafka partition. Used by
 * one unit loop, from one thread at a time. Implementations retry nothing themselves: a failed
 * fetch returns {@link Fetch#failed} with a backoff, so no thread sleeps on a throttled unit.
 */
public interface RecordSource extends AutoCloseable {

    /** The next records after the last ones returned; bounded in time. */
    Fetch fetch();

    /** How long the loop waits before the next {@link #fetch}, given what the last one returned. */
    Duration nextDelay(Fetch last);

    /**
     * Asks to be told when records arrive, so that an idle unit need not poll often. Sources that
     * are fed by a push (Kafka's consumer thread) call {@code wake} from their own thread; polling
     * sources (Kinesis) ignore it.
     */
    default void onRecordsAvailable(Runnable wake) {
    }

    /**
     * The unit's position was checkpointed (fenced, in the checkpoint store). Kafka sources may
     * mirror it into a consumer group for external lag tools; the store stays the truth.
     */
    default void checkpointed(Position position) {
    }

    /**
     * The unit is being taken away (revoked, or dropped with its lease) while a batch may still be
     * in process: stop reading now, so that the next owner is not held up (a fan-out
     * subscription is cancelled, since Kinesis refuses a second one to the same shard). Called
     * from any thread, at most a few times; {@link #fetch} may still be called once after it and
     * should then return nothing; {@link #close} follows on the unit's loop. Does nothing by
     * default.
     */
    default void release() {
    }

    @Override
    void close();
}
