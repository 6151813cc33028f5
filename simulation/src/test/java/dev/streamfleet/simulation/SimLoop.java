package dev.streamfleet.simulation;

import dev.streamfleet.coordinator.Scheduler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.Executor;

/**
 * The one seeded clock and scheduler of a simulated fleet. Everything runs one step at a time, and
 * the seed alone decides which step comes next: among the queues that have a task and a free
 * thread, one is drawn at random; when none has, time jumps to the next timer.
 *
 * <p>Work that never blocks (a lease keeper's thread, timers, ZooKeeper's event thread) runs on
 * the driving thread. Work that may block in user code (a worker's unit pool) runs on a thread of
 * its own that has the turn while the driver waits, so that a processor can hang or take time
 * ({@link #hold}) while everything else goes on, still one step at a time.
 */
final class SimLoop {

    /** More steps than this at one instant, or in one run, is a livelock: reported, never waited out. */
    private static final int STEPS_PER_INSTANT = 200_000;
    /** How long the driver waits, in real time, for a task on a thread to return or hang. */
    private static final Duration TURN_BOUND = Duration.ofSeconds(30);

    final Random random;
    final Trace trace;
    private final Instant start = Instant.parse("2026-01-01T00:00:00Z");
    private Instant now = start;
    private long order;
    private final TreeSet<Timer> timers = new TreeSet<>(Comparator.comparing((Timer t) -> t.due).thenComparingLong(t -> t.order));
    private final List<Queue> queues = new ArrayList<>();
    /** The indexes of the queues that have tasks, in the order the queues were made: a step looks at these only. */
    private final TreeSet<Integer> withTasks = new TreeSet<>();
    private final List<SimThread> held = new ArrayList<>();
    private final List<SimThread> threads = new ArrayList<>();
    private final Baton driverTurn = new Baton();
    private int stepsAtThisInstant;
    private Instant stepsCountedAt = now;
    /** How many tasks ran on the driving thread, on pool threads, and how many timers fired. */
    long inlineTasks;
    long threadTasks;
    long timersFired;
    /** Tasks that threw: in production each is logged at ERROR and counted. */
    final List<String> taskFailures = new ArrayList<>();

    final Clock clock = new Clock() {
        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };

    SimLoop(long seed, Trace trace) {
        this.random = new Random(seed);
        this.trace = trace;
    }

    Instant now() {
        return now;
    }

    /** Nanoseconds of simulated time since the run began, for code that reads a nano clock. */
    long nanos() {
        return Duration.between(start, now).toNanos();
    }

    Duration elapsed() {
        return Duration.between(start, now);
    }

    /** A simulated process: its queues and timers stop when it crashes and wait while it is frozen. */
    Host host(String name) {
        return new Host(name);
    }

    final class Host {
        final String name;
        private boolean crashed;
        private boolean frozen;
        /**
         * Whether its pools run on threads of their own, where work may wait (slow or hanging processors,
         * the store's latency). Otherwise they run on the driving thread, which is many times cheaper:
         * a hand-over between threads costs tens of microseconds.
         */
        boolean threaded = true;

        private Host(String name) {
            this.name = name;
        }

        boolean crashed() {
            return crashed;
        }

        boolean frozen() {
            return frozen;
        }

        /** Gone for good: its queued tasks and timers are dropped, and its hanging threads never go on. */
        void crash() {
            crashed = true;
            for (Queue queue : queues) {
                if (queue.host == this) {
                    queue.tasks.clear();
                    withTasks.remove(queue.index);
                }
            }
            timers.removeIf(timer -> timer.host == this);
        }

        void freeze() {
            frozen = true;
        }

        void thaw() {
            frozen = false;
        }

        /** Tasks run one at a time, in order, on the driving thread: for work that never blocks. */
        Queue serial(String queue) {
            return add(new Queue(this, name + "/" + queue, 0, nextIndex()));
        }

        /** Tasks start in order on up to {@code threads} threads, each of which may hang. */
        Queue pool(String queue, int threads) {
            return add(new Queue(this, name + "/" + queue, threads, nextIndex()));
        }

        private Queue add(Queue queue) {
            queues.add(queue);
            return queue;
        }

        private int nextIndex() {
            return queues.size();
        }

        /** Runs {@code task} on the driving thread (this host's timer thread) after {@code delay}. */
        Scheduler.Cancellable timer(Duration delay, Runnable task) {
            Timer timer = new Timer(this, now.plus(delay.isNegative() ? Duration.ZERO : delay), task, order++);
            if (!crashed) {
                timers.add(timer);
            }
            return () -> timers.remove(timer);
        }

        /**
         * A production scheduler: tasks on {@code tasks}, timers on this host's timer thread, or, when
         * {@code timersOnTasks}, handed to {@code tasks} as a single-threaded scheduled executor runs them.
         */
        Scheduler scheduler(Queue tasks, boolean timersOnTasks) {
            return new Scheduler() {
                @Override
                public void execute(Runnable task) {
                    tasks.execute(task);
                }

                @Override
                public Cancellable schedule(Runnable task, Duration delay) {
                    return timer(delay, timersOnTasks ? () -> tasks.execute(task) : task);
                }
            };
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** One executor of a host: serial on the driving thread ({@code threads} 0), or a bounded pool. */
    final class Queue implements Executor {
        final Host host;
        final String name;
        final int threads;
        final int index;
        private final Deque<Runnable> tasks = new ArrayDeque<>();
        private int busy;

        private Queue(Host host, String name, int threads, int index) {
            this.host = host;
            this.name = name;
            this.threads = threads;
            this.index = index;
        }

        @Override
        public void execute(Runnable task) {
            if (!host.crashed) {
                tasks.add(task);
                withTasks.add(index);
            }
        }

        private Runnable poll() {
            Runnable task = tasks.poll();
            if (tasks.isEmpty()) {
                withTasks.remove(index);
            }
            return task;
        }

        private boolean runnable() {
            return !tasks.isEmpty() && !host.crashed && !host.frozen && (threads == 0 || busy < threads);
        }
    }

    private static final class Timer {
        final Host host;
        final Instant due;
        final long order;
        final Runnable task;

        Timer(Host host, Instant due, Runnable task, long order) {
            this.host = host;
            this.due = due;
            this.task = task;
            this.order = order;
        }
    }

    /** A thread of a pool queue: it runs only while it has the turn. */
    private final class SimThread extends Thread {
        final Baton go = new Baton();
        Queue queue;
        Runnable task;
        boolean released;
        boolean hanging;
        boolean stop;

        SimThread() {
            super(null, null, "sim-thread", 256 * 1024);
            setDaemon(true);
        }

        @Override
        public void run() {
            while (true) {
                go.take();
                if (stop) {
                    return;
                }
                try {
                    task.run();
                } catch (Throwable e) {
                    taskFailed(queue, e);
                }
                task = null;
                driverTurn.give();
            }
        }
    }

    private void taskFailed(Queue queue, Throwable e) {
        String failure = queue.name + ": " + e;
        taskFailures.add(failure);
        trace.add(now, queue.host.name, "task failed: " + e);
    }

    /**
     * Hangs the pool thread that calls it until {@code release} is run (by a timer, a fault, or
     * never); the driver goes on meanwhile. On the driving thread it fails: a task that never
     * blocks must not wait.
     */
    void hold(java.util.function.Consumer<Runnable> release) {
        if (!(Thread.currentThread() instanceof SimThread thread)) {
            throw new IllegalStateException("only work on a pool thread can wait; this runs on the driving thread");
        }
        thread.hanging = true;
        thread.released = false;
        held.add(thread);
        release.accept(() -> thread.released = true);
        driverTurn.give();
        thread.go.take();
        thread.hanging = false;
    }

    /** Hangs the calling pool thread for {@code duration} of simulated time. */
    void take(Duration duration, Host host) {
        hold(release -> host.timer(duration, release));
    }

    /** Whether the caller runs on a pool thread, and so may wait. */
    boolean mayWait() {
        return Thread.currentThread() instanceof SimThread;
    }

    /** Runs everything until {@code until}: steps at random among what can run, timers in time order. */
    void runUntil(Instant until) {
        while (true) {
            if (step()) {
                continue;
            }
            Timer next = nextTimer();
            if (next == null || next.due.isAfter(until)) {
                now = until.isAfter(now) ? until : now;
                return;
            }
            timers.remove(next);
            if (next.due.isAfter(now)) {
                now = next.due;
            }
            countStep();
            timersFired++;
            next.task.run();
        }
    }

    private Timer nextTimer() {
        for (Timer timer : timers) {
            if (!timer.host.frozen) {
                return timer;
            }
        }
        return null;
    }

    private void countStep() {
        if (!now.equals(stepsCountedAt)) {
            stepsCountedAt = now;
            stepsAtThisInstant = 0;
        }
        if (++stepsAtThisInstant > STEPS_PER_INSTANT) {
            throw new Livelock("more than " + STEPS_PER_INSTANT + " steps at " + elapsed() + " without time passing");
        }
    }

    /** Runs one task or lets one released thread go on; false when nothing can run now. */
    private boolean step() {
        List<Object> choices = new ArrayList<>();
        for (int index : withTasks) {
            Queue queue = queues.get(index);
            if (queue.runnable()) {
                choices.add(queue);
            }
        }
        for (SimThread thread : held) {
            if (thread.released && !thread.queue.host.crashed && !thread.queue.host.frozen) {
                choices.add(thread);
            }
        }
        if (choices.isEmpty()) {
            return false;
        }
        countStep();
        Object chosen = choices.get(random.nextInt(choices.size()));
        if (chosen instanceof Queue queue) {
            Runnable task = queue.poll();
            if (queue.threads == 0 || !queue.host.threaded) {
                inlineTasks++;
                try {
                    task.run();
                } catch (Livelock e) {
                    throw e;
                } catch (RuntimeException | Error e) {
                    taskFailed(queue, e);
                }
            } else {
                threadTasks++;
                SimThread thread = idleThread();
                thread.queue = queue;
                thread.task = task;
                queue.busy++;
                turn(thread);
            }
        } else {
            SimThread thread = (SimThread) chosen;
            held.remove(thread);
            turn(thread);
        }
        return true;
    }

    private final Deque<SimThread> idle = new ArrayDeque<>();

    private SimThread idleThread() {
        SimThread thread = idle.poll();
        if (thread == null) {
            thread = new SimThread();
            threads.add(thread);
            thread.start();
        }
        return thread;
    }

    /** Gives the thread the turn and waits until it returns from its task or hangs. */
    private void turn(SimThread thread) {
        thread.go.give();
        if (!driverTurn.takeWithin(TURN_BOUND)) {
            throw new IllegalStateException("a task on " + thread.queue.name + " neither returned nor hung in "
                    + TURN_BOUND.toSeconds() + " s of real time: it waits on something the simulation does not drive");
        }
        if (!thread.hanging) {
            thread.queue.busy--;
            idle.add(thread);
        }
    }

    /**
     * Ends every thread that is not hanging; a hanging one (its host crashed, or its processor never
     * returns) stays parked, a daemon that holds nothing of the next run.
     */
    void close() {
        for (SimThread thread : idle) {
            thread.stop = true;
            thread.go.give();
        }
        idle.clear();
    }

    /** The run spun without time passing. */
    static final class Livelock extends RuntimeException {
        Livelock(String message) {
            super(message);
        }
    }
}
