package dev.streamfleet.worker.internal.kafka;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The consumer thread's inbox: commands that any thread adds, which only the consumer thread
 * takes, and a stop that any thread asks for. The stop is not a command in the queue but a state
 * of it, so nothing the consumer thread does with the queue can lose it; once asked, it wins over
 * every command still waiting, whose partitions are closing too.
 *
 * <p>A command is taken out before it runs. One that must run again (a wake-up hit it, the broker
 * failed for a while) stays in the consumer thread's hand, not in the queue: the queue is never
 * looked at in one step and changed in the next.
 *
 * @param <C> what a command is
 */
final class ConsumerCommands<C> {

    private final Object lock = new Object();
    private final Deque<C> waiting = new ArrayDeque<>();
    private boolean stopAsked;

    /** Adds a command after those waiting; from any thread. Once a stop is asked, the command is dropped. */
    void add(C command) {
        synchronized (lock) {
            if (!stopAsked) {
                waiting.add(command);
                lock.notifyAll();
            }
        }
    }

    /** Asks the consumer thread to stop; from any thread, any number of times. */
    void stop() {
        synchronized (lock) {
            stopAsked = true;
            waiting.clear();
            lock.notifyAll();
        }
    }

    boolean stopAsked() {
        synchronized (lock) {
            return stopAsked;
        }
    }

    /** The consumer thread's next command, taken out of the queue; empty when none waits or a stop is asked. */
    Optional<C> take() {
        synchronized (lock) {
            return stopAsked ? Optional.empty() : Optional.ofNullable(waiting.poll());
        }
    }

    /**
     * Waits up to {@code limit} until a command waits or a stop is asked, taking nothing. An
     * interrupted wait is a stop.
     */
    void awaitCommand(Duration limit) {
        long until = System.nanoTime() + limit.toNanos();
        synchronized (lock) {
            while (waiting.isEmpty() && !stopAsked) {
                long left = until - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stopAsked = true;
                    waiting.clear();
                }
            }
        }
    }
}
