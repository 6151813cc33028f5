package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.coordinator.Scheduler;

import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A unit's mailbox: its messages run one at a time, in the order they were posted, on the worker's
 * pool, so that nothing the unit owns needs a lock. It also keeps the unit's one chain of steps:
 * the next step is a timer or a queued message with a token, and scheduling or calling it off
 * moves the token, so that a step that fires late finds it changed and does nothing. Only one
 * chain ever runs, and a retry's backoff holds.
 *
 * <p>{@link #post} may be called from any thread; everything else only from the unit's own
 * messages.
 */
final class UnitMailbox {

    /** A step queued on the pool already: its token, not a timer, calls it off. */
    private static final Scheduler.Cancellable STEP_QUEUED = () -> { };

    private final Scheduler scheduler;
    private final Runnable step;
    private final Consumer<Throwable> unexpected;
    private final Queue<Runnable> messages = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();

    // Owned by the messages.
    private Scheduler.Cancellable nextStep;
    /** The token of the one step that may run next; a step message with another one was called off. */
    private long stepToken;
    private boolean waitingForRecords;

    /**
     * @param step       what a step does, as a message
     * @param unexpected told, inside the mailbox, of a message that threw: a bug, which must not
     *                   leave the unit stalled silently
     */
    UnitMailbox(Scheduler scheduler, Runnable step, Consumer<Throwable> unexpected) {
        this.scheduler = scheduler;
        this.step = step;
        this.unexpected = unexpected;
    }

    /** Adds a message; the first message of an idle mailbox starts a run of it on the pool. Any thread. */
    void post(Runnable message) {
        messages.add(message);
        if (queued.getAndIncrement() == 0) {
            scheduler.execute(this::run);
        }
    }

    private void run() {
        do {
            Runnable message = messages.poll();
            try {
                message.run();
            } catch (RuntimeException | Error e) {
                unexpected.accept(e);
            }
        } while (queued.decrementAndGet() > 0);
    }

    /**
     * The next step after {@code delay}, in place of any scheduled; {@code forRecords} when it
     * waits for records, which {@link #recordsArrived} may bring forward.
     */
    void scheduleStep(Duration delay, boolean forRecords) {
        cancelStep();
        waitingForRecords = forRecords;
        long token = stepToken;
        Runnable fire = () -> post(() -> stepIf(token));
        if (delay.isZero()) {
            // Straight to the pool's queue, not through the timer thread: a hop fewer on the busiest path. The
            // token calls it off if need be.
            scheduler.execute(fire);
            nextStep = STEP_QUEUED;
        } else {
            nextStep = scheduler.schedule(fire, delay);
        }
    }

    /** Calls off the next step: its timer, and its message if the timer fired already. */
    void cancelStep() {
        stepToken++;
        if (nextStep != null) {
            nextStep.cancel();
            nextStep = null;
        }
    }

    /** Whether a step is scheduled. */
    boolean stepScheduled() {
        return nextStep != null;
    }

    /** Whether the step scheduled waits for records, so that their arrival may bring it forward. */
    boolean waitingForRecords() {
        return waitingForRecords;
    }

    private void stepIf(long token) {
        if (token != stepToken) {
            return;
        }
        nextStep = null;
        step.run();
    }
}
