package dev.streamfleet.worker.internal.runtime;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Real threads, every wait bounded: the bound holds, waiting tasks run in order, idle threads are reused. */
class LanePoolTest {

    private final AtomicInteger started = new AtomicInteger();
    private final ThreadFactory counting = runnable -> {
        started.incrementAndGet();
        Thread thread = new Thread(runnable, "lane-test");
        thread.setDaemon(true);
        return thread;
    };
    private final List<LanePool> pools = new ArrayList<>();

    @AfterEach
    void stop() {
        pools.forEach(LanePool::close);
    }

    private LanePool pool(int bound) {
        LanePool pool = new LanePool(bound, counting);
        pools.add(pool);
        return pool;
    }

    @Test
    void runsNoMoreThanTheBoundAtOnceAndTheRestInTheOrderGiven() throws InterruptedException {
        LanePool pool = pool(3);
        CountDownLatch threeRunning = new CountDownLatch(3);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch allDone = new CountDownLatch(8);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 8; i++) {
            int task = i;
            pool.execute(() -> {
                mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
                order.add(task);
                threeRunning.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                running.decrementAndGet();
                allDone.countDown();
            });
        }
        assertThat(threeRunning.await(10, TimeUnit.SECONDS)).as("three tasks start").isTrue();
        assertThat(order).as("the first three, while they hold their threads").hasSize(3)
                .containsExactlyInAnyOrder(0, 1, 2);
        release.countDown();
        assertThat(allDone.await(10, TimeUnit.SECONDS)).as("every task ran").isTrue();
        assertThat(mostAtOnce.get()).isEqualTo(3);
        // Which of the three threads records its next task first is a race; the order given is
        // checked on one thread below.
        assertThat(order.subList(3, 8)).as("the waiting ones").containsExactlyInAnyOrder(3, 4, 5, 6, 7);
        assertThat(started.get()).as("threads started").isLessThanOrEqualTo(3);
    }

    @Test
    void theWaitingTasksRunInTheOrderGiven() throws InterruptedException {
        LanePool pool = pool(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch allDone = new CountDownLatch(6);
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        pool.execute(() -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            order.add(0);
            allDone.countDown();
        });
        for (int i = 1; i < 6; i++) {
            int task = i;
            pool.execute(() -> {
                order.add(task);
                allDone.countDown();
            });
        }
        release.countDown();
        assertThat(allDone.await(10, TimeUnit.SECONDS)).as("every task ran").isTrue();
        assertThat(order).as("in the order given").containsExactly(0, 1, 2, 3, 4, 5);
    }

    @Test
    void aTaskAfterAnotherHasFinishedRunsOnAnIdleThreadRatherThanANewOne() throws InterruptedException {
        LanePool pool = pool(64);
        for (int i = 0; i < 64; i++) {
            CountDownLatch done = new CountDownLatch(1);
            pool.execute(done::countDown);
            assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
            await().atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
                    .until(() -> pool.busyThreads() == 0);
        }
        // A fixed pool of 64 core threads would have started 64. Here the thread that ran a task
        // is idle again when the next comes (but for the few instructions between finishing a
        // task and waiting for the next, where a new one may start).
        assertThat(started.get()).as("threads started for 64 tasks one after another").isLessThanOrEqualTo(4);
    }

    @Test
    void afterCloseNoWaitingTaskRuns() throws InterruptedException {
        LanePool pool = pool(1);
        CountDownLatch firstRunning = new CountDownLatch(1);
        CountDownLatch firstEnded = new CountDownLatch(1);
        AtomicInteger secondRan = new AtomicInteger();
        pool.execute(() -> {
            firstRunning.countDown();
            try {
                new CountDownLatch(1).await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            firstEnded.countDown();
        });
        pool.execute(secondRan::incrementAndGet);
        assertThat(firstRunning.await(10, TimeUnit.SECONDS)).isTrue();
        pool.close();
        assertThat(firstEnded.await(10, TimeUnit.SECONDS)).as("the running task is interrupted").isTrue();
        assertThat(secondRan.get()).isZero();
    }
}
