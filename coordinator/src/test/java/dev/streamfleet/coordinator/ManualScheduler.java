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
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A scheduler and clock driven by hand, built as production's is: a pool of a given number of
 * threads for tasks, and a timer thread for timers. Tasks run only when the test calls
 * {@link #runReady} or {@link #advance}, and time moves only in {@link #advance}. Races become a script.
 *
 * <p>Every task runs on a pool thread of its own while the thread that drives (the test, or a task
 * that lets time pass) waits for it to return or to hang, so one thing runs at a time, in the
 * script's order. A task hangs by waiting on a {@link Hold}: it keeps its pool thread until the test
 * releases the hold. With every pool thread taken, ready tasks wait, as they do in production.
 * Timers fire on the timer thread, here the driving thread, whatever the pool does; a timer that
 * waits on a hold fails the test, since in production it would stop every timer.
 */
public final class ManualScheduler implements Scheduler {

    /** How long a pool task may keep the turn in real time before the driver gives up on it. */
    private static final java.time.Duration TURN_BOUND = java.time.Duration.ofSeconds(30);

    /** As many pool threads as a worker has by default. */
    public static final int DEFAULT_POOL_THREADS = 8;

    private enum Turn { RUNNING, HELD, RELEASED, DONE }

    private static final Duration IDLE_LINGER = Duration.ofSeconds(1);

    private final Object lock = new Object();
    private final int poolThreads;
    private final Deque<Runnable> ready = new ArrayDeque<>();
    private final List<Timer> timers = new ArrayList<>();
    /** Tasks on a pool thread that have not returned: running, hanging, or released and due to go on. */
    private final List<PoolThread> taken = new ArrayList<>();
    /** Pool threads between tasks. */
    private final Deque<PoolThread> idle = new ArrayDeque<>();
    private static final Instant ORIGIN = Instant.parse("2026-11-29T12:00:00Z");
    private volatile Instant now = ORIGIN;
    private long sequence;
    private int threadsStarted;
    /** The thread running a timer task now, if any. */
    private Thread firing;

    public ManualScheduler() {
        this(DEFAULT_POOL_THREADS);
    }

    public ManualScheduler(int poolThreads) {
        if (poolThreads < 1) {
            throw new IllegalArgumentException("a pool has at least one thread, not " + poolThreads);
        }
        this.poolThreads = poolThreads;
    }

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
            synchronized (lock) {
                cancelled = true;
            }
        }
    }

    /**
     * A pool thread: it has the turn only while RUNNING. Between tasks it waits for the next one, and
     * ends once none came for a while (of real time, which changes nothing but the threads left over).
     */
    private final class PoolThread extends Thread {
        Runnable task;
        Turn turn = Turn.DONE;
        Hold hold;
        Throwable failure;

        PoolThread() {
            super("manual-pool-" + ++threadsStarted);
            setDaemon(true);
        }

        @Override
        public void run() {
            while (true) {
                Runnable next;
                synchronized (lock) {
                    long lingerUntil = System.nanoTime() + IDLE_LINGER.toNanos();
                    while (task == null) {
                        long left = lingerUntil - System.nanoTime();
                        if (left <= 0) {
                            idle.remove(this);
                            return;
                        }
                        try {
                            lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                        } catch (InterruptedException e) {
                            idle.remove(this);
                            return;
                        }
                    }
                    next = task;
                }
                Throwable failed = null;
                try {
                    next.run();
                } catch (Throwable e) {
                    failed = e;
                }
                synchronized (lock) {
                    task = null;
                    failure = failed;
                    turn = Turn.DONE;
                    taken.remove(this);
                    idle.add(this);
                    lock.notifyAll();
                }
            }
        }
    }

    /**
     * What a hanging task waits for: a processor that never returns calls {@link #await} inside
     * {@code process}, and keeps its pool thread until the test calls {@link #release}.
     */
    public final class Hold {
        private boolean released;

        /** Hangs the pool task that calls it until {@link #release}; at once if released already. */
        public void await() {
            synchronized (lock) {
                if (released) {
                    return;
                }
                Thread current = Thread.currentThread();
                if (current == firing) {
                    throw new AssertionError("a timer task waited: in production that stops every timer of the"
                            + " worker; a timer must only post or hand its work to the pool");
                }
                if (!(current instanceof PoolThread thread) || !taken.contains(thread)) {
                    throw new AssertionError("only a task on this scheduler's pool can hang on a hold");
                }
                thread.hold = this;
                thread.turn = Turn.HELD;
                lock.notifyAll();
                while (thread.turn != Turn.RUNNING) {
                    waitOnLock();
                }
                thread.hold = null;
            }
        }

        /** Lets the tasks hanging on this hold go on, at the next {@link #runReady} or {@link #advance}. */
        public void release() {
            synchronized (lock) {
                released = true;
                for (PoolThread thread : taken) {
                    if (thread.hold == this && thread.turn == Turn.HELD) {
                        thread.turn = Turn.RELEASED;
                    }
                }
            }
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

    /** A hold for tasks to hang on. */
    /** Nanoseconds since an origin of its own, as {@link System#nanoTime()} counts them: moved only by {@link #advance}. */
    public long nanoTime() {
        return Duration.between(ORIGIN, now).toNanos();
    }

    public Hold newHold() {
        return new Hold();
    }

    /** Pool threads that no task has, so that the next ready tasks may run on them. */
    public int freePoolThreads() {
        synchronized (lock) {
            return poolThreads - taken.size();
        }
    }

    @Override
    public void execute(Runnable task) {
        synchronized (lock) {
            ready.add(task);
        }
    }

    @Override
    public Cancellable schedule(Runnable task, Duration delay) {
        synchronized (lock) {
            Timer timer = new Timer(now.plus(delay), task);
            timers.add(timer);
            return timer;
        }
    }

    /**
     * Runs what can run now: released tasks go on, ready tasks start while a pool thread is free, and
     * timers due now fire, until nothing is left to run at this instant.
     */
    public void runReady() {
        synchronized (lock) {
            while (true) {
                PoolThread released = taken.stream().filter(thread -> thread.turn == Turn.RELEASED).findFirst()
                        .orElse(null);
                if (released != null) {
                    giveTurn(released);
                    continue;
                }
                if (!ready.isEmpty() && taken.size() < poolThreads) {
                    startOnPool(ready.poll());
                    continue;
                }
                Timer due = nextDue(now);
                if (due == null) {
                    return;
                }
                timers.remove(due);
                fire(due);
            }
        }
    }

    /** Moves the clock forward by {@code by}, running everything that falls due on the way, in order. */
    public void advance(Duration by) {
        synchronized (lock) {
            Instant until = now.plus(by);
            runReady();
            Timer due;
            while ((due = nextDue(until)) != null) {
                now = due.due.isAfter(now) ? due.due : now;
                timers.remove(due);
                fire(due);
                runReady();
            }
            // A task that let time pass while this ran may have moved the clock further already.
            now = until.isAfter(now) ? until : now;
            runReady();
        }
    }

    /**
     * Moves the clock forward while every pool thread is taken by a task that does not return (one
     * that hangs on a {@link Hold}, or the task calling this): timers fire on the timer thread, and the
     * tasks they make ready wait for a pool thread, as in production. What is ready runs first; then
     * it fails if a pool thread is free rather than pretend it busy: a test that means the pool to be
     * full must fill it.
     */
    public void advanceTimersOnly(Duration by) {
        synchronized (lock) {
            runReady();
            long goingOn = taken.stream().filter(thread -> thread.turn == Turn.RELEASED).count();
            if (taken.size() < poolThreads || goingOn > 0) {
                throw new AssertionError((poolThreads - taken.size() + goingOn) + " of " + poolThreads
                        + " pool threads would run ready tasks: hold them to keep them busy");
            }
            advance(by);
        }
    }

    /** Runs, in steps of {@code step}, until {@code done} holds; fails after {@code limit} of manual time. */
    public void advanceUntil(BooleanSupplier done, Duration step, Duration limit) {
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

    /** This scheduler's pool as an executor service: its delayed tasks, as a scheduled pool's, wait for a pool thread. */
    public ScheduledExecutorService pool() {
        return new ExecutorView(true);
    }

    /** This scheduler's timer thread as an executor service. */
    public ScheduledExecutorService timerThread() {
        return new ExecutorView(false);
    }

    private void fire(Timer timer) {
        Thread before = firing;
        firing = Thread.currentThread();
        try {
            timer.task.run();
        } finally {
            firing = before;
        }
    }

    private void startOnPool(Runnable task) {
        PoolThread thread = idle.poll();
        boolean fresh = thread == null;
        if (fresh) {
            thread = new PoolThread();
        }
        thread.task = task;
        thread.failure = null;
        thread.turn = Turn.RUNNING;
        taken.add(thread);
        if (fresh) {
            thread.start();
        }
        lock.notifyAll();
        awaitTurnBack(thread);
    }

    private void giveTurn(PoolThread thread) {
        thread.turn = Turn.RUNNING;
        lock.notifyAll();
        awaitTurnBack(thread);
    }

    /**
     * Waits, holding no lock, while the thread has the turn; a task that failed fails the driver. A
     * task that neither returns nor hangs on a {@link Hold} within {@link #TURN_BOUND} (it blocks on
     * something else, or loops) fails the driver too, rather than wait without end.
     */
    private void awaitTurnBack(PoolThread thread) {
        long deadline = System.nanoTime() + TURN_BOUND.toNanos();
        while (thread.turn == Turn.RUNNING) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("a pool task has run for " + TURN_BOUND.toSeconds() + " s of real time without"
                        + " returning or hanging on a Hold: it blocks on something the script does not drive ("
                        + thread.getName() + ")");
            }
            try {
                lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while a manual pool thread had the turn", e);
            }
        }
        if (thread.turn == Turn.DONE && thread.failure != null) {
            Throwable failure = thread.failure;
            if (failure instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (failure instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(failure);
        }
    }

    private void waitOnLock() {
        try {
            lock.wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while a manual pool thread had the turn", e);
        }
    }

    private Timer nextDue(Instant until) {
        timers.removeIf(timer -> timer.cancelled);
        return timers.stream().filter(timer -> !timer.due.isAfter(until))
                .min(Comparator.comparing((Timer timer) -> timer.due).thenComparingLong(timer -> timer.order))
                .orElse(null);
    }

    /**
     * The pool or the timer thread, for code that takes executors. Only what a scheduler needs is
     * there: {@code execute}, {@code schedule} of a runnable and shutting down.
     */
    private final class ExecutorView extends AbstractExecutorService implements ScheduledExecutorService {
        private final boolean onPool;
        private boolean shutDown;

        ExecutorView(boolean onPool) {
            this.onPool = onPool;
        }

        @Override
        public void execute(Runnable task) {
            synchronized (lock) {
                if (shutDown) {
                    throw new RejectedExecutionException("shut down");
                }
                if (onPool) {
                    ManualScheduler.this.execute(task);
                } else {
                    ManualScheduler.this.schedule(task, Duration.ZERO);
                }
            }
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
            synchronized (lock) {
                if (shutDown) {
                    throw new RejectedExecutionException("shut down");
                }
                Duration after = Duration.of(delay, unit.toChronoUnit());
                // A scheduled pool runs a due task on one of its threads: it waits for one like any task.
                Cancellable timer = onPool ? executeAfter(task, after) : ManualScheduler.this.schedule(task, after);
                return new ManualFuture(timer, now.plus(after));
            }
        }

        @Override
        public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void shutdown() {
            synchronized (lock) {
                shutDown = true;
            }
        }

        @Override
        public List<Runnable> shutdownNow() {
            shutdown();
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            synchronized (lock) {
                return shutDown;
            }
        }

        @Override
        public boolean isTerminated() {
            return isShutdown();
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return isShutdown();
        }
    }

    /** A delayed task of an {@link ExecutorView}: it can be called off, and says when it is due. */
    private final class ManualFuture implements ScheduledFuture<Object> {
        private final Cancellable timer;
        private final Instant due;
        private boolean cancelled;

        ManualFuture(Cancellable timer, Instant due) {
            this.timer = timer;
            this.due = due;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(Duration.between(now, due));
        }

        @Override
        public int compareTo(Delayed other) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            timer.cancel();
            cancelled = true;
            return true;
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }

        @Override
        public boolean isDone() {
            return cancelled;
        }

        @Override
        public Object get() {
            throw new UnsupportedOperationException("a manual timer's outcome is not kept");
        }

        @Override
        public Object get(long timeout, TimeUnit unit) {
            throw new UnsupportedOperationException("a manual timer's outcome is not kept");
        }
    }
}
