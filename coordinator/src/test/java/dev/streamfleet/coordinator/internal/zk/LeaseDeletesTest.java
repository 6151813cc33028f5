package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.coordinator.LoopbackProxy;
import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link LeaseDeletes} on a real ZooKeeper server: an owed delete never removes a lease that is
 * not the one it owes, however its attempts and answers interleave with the next owner's create.
 */
class LeaseDeletesTest {

    private LocalZooKeeper zookeeper;
    private CuratorFramework w1;
    private CuratorFramework w2;
    private final ZkPaths paths = new ZkPaths("app-" + UUID.randomUUID().toString().substring(0, 8));
    private final UnitId unit = UnitId.kafka("orders", 0);

    @BeforeEach
    void start() throws Exception {
        zookeeper = new LocalZooKeeper();
        w1 = CuratorFrameworkFactory.newClient(zookeeper.connect(), 10_000, 5_000, new RetryOneTime(100));
        w2 = CuratorFrameworkFactory.newClient(zookeeper.connect(), 10_000, 5_000, new RetryOneTime(100));
        w1.start();
        w2.start();
        w1.blockUntilConnected();
        w2.blockUntilConnected();
    }

    @AfterEach
    void stop() throws Exception {
        w1.close();
        w2.close();
        zookeeper.close();
    }

    /**
     * Two asks for one owed delete (a second delete() of the same lease, as LeaseTaker.waitForHolder
     * makes on finding "our own" node, or the RECONNECTED retry) while w1's event thread pauses (a
     * GC pause, any slow callback). Had both attempts read the node at czxid C1 / version 0, the
     * second's delete by version 0 would remove the next owner's lease, a new node at version 0
     * again: it did before attempts were made one at a time.
     */
    @Test
    void aSecondAttemptOfAnOwedDeleteNeverRemovesTheNextOwnersLease() throws Exception {
        String path = paths.lease(unit);
        w1.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(path, new byte[0]);
        Stat mine = w1.checkExists().forPath(path);
        LeaseDeletes deletes = new LeaseDeletes(w1, paths);
        CountDownLatch answered = new CountDownLatch(1);
        CountDownLatch hold = new CountDownLatch(1);

        // w1's event thread is busy (a slow callback) while both attempts' reads are answered ...
        w1.checkExists().inBackground((c, e) -> answered.await(10, TimeUnit.SECONDS)).forPath("/");
        CompletionStage<Void> first = deletes.delete(unit, mine.getCzxid());
        // ... and again between the two answers being handled (a GC pause would do the same).
        w1.checkExists().inBackground((c, e) -> hold.await(3, TimeUnit.SECONDS)).forPath("/");
        CompletionStage<Void> second = deletes.delete(unit, mine.getCzxid());
        w1.sync().inBackground((c, e) -> { }).forPath("/"); // all three requests are on the wire in order
        answered.countDown();

        // The first attempt's delete lands (here or, one attempt at a time, once the pause is over); the
        // next owner takes the lease at once.
        await().atMost(Duration.ofSeconds(8)).until(() -> w2.checkExists().forPath(path) == null);
        w2.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(path, new byte[0]);
        Stat next = w2.checkExists().forPath(path);
        hold.countDown();
        first.toCompletableFuture().get(5, TimeUnit.SECONDS);
        second.toCompletableFuture().get(5, TimeUnit.SECONDS);

        await("the next owner's lease (czxid " + next.getCzxid() + ") is never removed by the old owner")
                .during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                .until(() -> {
                    Stat now = w2.checkExists().forPath(path);
                    return now != null && now.getCzxid() == next.getCzxid();
                });
    }

    /**
     * One attempt whose delete is applied on the server while its answer is lost with the
     * connection; the next owner, watching, creates its lease (version 0 again) at once. Once the
     * connection is back with the same session, the delete is owed still: the next attempt must
     * see (sync, then read) that our node is gone and stop. Curator's retry of the same background
     * delete, by path and version, removed the next owner's lease before.
     */
    @Test
    void aDeleteWhoseAnswerWasLostNeverRemovesTheNextOwnersLease() throws Exception {
        String connect = zookeeper.connect();
        int port = Integer.parseInt(connect.substring(connect.lastIndexOf(':') + 1));
        try (LoopbackProxy proxy = new LoopbackProxy(port);
             CuratorFramework worker = CuratorFrameworkFactory.newClient(proxy.connectString(), 10_000, 5_000,
                     new ExponentialBackoffRetry(100, 3, 1_000))) {
            worker.start();
            worker.blockUntilConnected();
            String path = paths.lease(unit);
            worker.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(path, new byte[0]);
            Stat mine = worker.checkExists().forPath(path);
            LeaseDeletes deletes = new LeaseDeletes(worker, paths);

            // Hold the worker's event thread twice: first while the delete's sync is answered, then while its
            // read is, so that answers are swallowed from the moment the delete itself is sent.
            CountDownLatch go = new CountDownLatch(1);
            CountDownLatch hold = new CountDownLatch(1);
            long before = proxy.answeredBytes();
            worker.checkExists().inBackground((c, e) -> go.await(10, TimeUnit.SECONDS)).forPath("/");
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.answeredBytes() > before);
            long synced = proxy.answeredBytes();
            CompletionStage<Void> done = deletes.delete(unit, mine.getCzxid());
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.answeredBytes() > synced); // the sync's answer is in
            long held = proxy.answeredBytes();
            worker.checkExists().inBackground((c, e) -> hold.await(10, TimeUnit.SECONDS)).forPath("/");
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.answeredBytes() > held);
            long read = proxy.answeredBytes();
            go.countDown(); // the sync's callback sends the read; the event thread then waits on hold
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.answeredBytes() > read); // the read's answer is in
            proxy.swallowAnswers(true);
            hold.countDown(); // the read's callback sends the delete, whose answer is swallowed

            // The delete is applied; its answer never reaches the worker. The next owner takes the lease.
            await().atMost(Duration.ofSeconds(5)).until(() -> w2.checkExists().forPath(path) == null);
            w2.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(path, new byte[0]);
            Stat next = w2.checkExists().forPath(path);
            proxy.dropConnections();
            done.toCompletableFuture().get(15, TimeUnit.SECONDS);

            await("the next owner's lease (czxid " + next.getCzxid() + ") is never removed by the old owner")
                    .during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4))
                    .until(() -> {
                        Stat now = w2.checkExists().forPath(path);
                        return now != null && now.getCzxid() == next.getCzxid();
                    });
        }
    }
}
