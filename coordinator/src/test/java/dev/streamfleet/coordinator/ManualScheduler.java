package dev.streamfleet.coordinator;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;

/**
 * A scheduler and clock driven by hand: tasks run only when the test calls {@link #runReady}
 * or {@link #advance}, and time moves only in {@link #advance}. Races become a script.
 */
public final class ManualScheduler implements Scheduler {

    private final Deque<Runnable> ready = new ArrayDeque<>();
    private final List<Timer> timers = new ArrayList<>();
    private Instant now = Instant.parse("2026-11-29T12:00:00Z");
    private long sequence;

    private final class Timer implements Cancellable {
        final Instant due;
        final long order = sequence++;
        final Runnable task;
        boolean cancelled;

        Timer(Instant due, Runnable task) {
            this.due = due;
            this.task = task;
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }

    public final Clock clock = new Clock() {
        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };

    @Override
    public void execute(Runnable task) {
        ready.add(task);
    }

    @Override
    public Cancellable schedule(Runnable task, Duration delay) {
        Timer timer = new Timer(now.plus(delay), task);
        timers.add(timer);
        return timer;
    }

    /** Runs every task that is ready now, and timers due now, until nothing is left to run at this instant. */
    public void runReady() {
        while (true) {
            Runnable task = ready.poll();
            if (task != null) {
                task.run();
                continue;
            }
            Timer due = nextDue(now);
            if (due == null) {
                return;
            }
            timers.remove(due);
            due.task.run();
        }
    }

    /** Moves the clock forward by {@code by}, running everything that falls due on the way, in order. */
    public void advance(Duration by) {
        Instant until = now.plus(by);
        runReady();
        Timer due;
        while ((due = nextDue(until)) != null) {
            now = due.due.isAfter(now) ? due.due : now;
            timers.remove(due);
            due.task.run();
            runReady();
        }
        now = until;
        runReady();
    }

    /**
     * Moves the clock forward and fires the timers that fall due, but runs none of the tasks they
     * make ready: as if every pool thread were busy, for a unit whose batch never returns.
     */
    public void advanceTimersOnly(Duration by) {
        Instant until = now.plus(by);
        Timer due;
        while ((due = nextDue(until)) != null) {
            now = due.due.isAfter(now) ? due.due : now;
            timers.remove(due);
            due.task.run();
        }
        now = until;
    }

    /** Runs, in steps of {@code step}, until {@code done} holds; fails after {@code limit} of manual time. */
    public void advanceUntil(java.util.function.BooleanSupplier done, Duration step, Duration limit) {
        Duration spent = Duration.ZERO;
        runReady();
        while (!done.getAsBoolean()) {
            if (spent.compareTo(limit) > 0) {
                throw new AssertionError("not done within " + limit + " of manual time");
            }
            advance(step);
            spent = spent.plus(step);
        }
    }

    private Timer nextDue(Instant until) {
        timers.removeIf(timer -> timer.cancelled);
        return timers.stream().filter(timer -> !timer.due.isAfter(until))
                .min(Comparator.comparing((Timer timer) -> timer.due).thenComparingLong(timer -> timer.order))
                .orElse(null);
    }
}
