package dev.streamfleet.simulation;

import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.internal.zk.SessionConfirmations;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * One worker's ZooKeeper connection as Curator presents it, to one server of the ensemble at a
 * time: SUSPENDED once the server has not answered for two thirds of the session timeout, or at
 * once when the server drops its clients; then it connects to the next server that has applied
 * every zxid it saw (RECONNECTED, its watches set again there), or hears that the session expired;
 * LOST one timeout after SUSPENDED or when its server says the session expired; then a new
 * session. Reads are answered by its server, writes go through the leader (see {@link SimZooKeeper}).
 * It confirms its session as production does, with a sync every quarter timeout, and its leases
 * count as current by the production rule ({@link SessionConfirmations}).
 */
final class SimClient {

    /** What Curator tells its connection listeners. */
    interface Listener {
        void suspended();

        void reconnected();

        void lost();

        /** A new session began (after LOST): the worker registers again. */
        void newSession(long session);
    }

    private enum State { CONNECTED, SUSPENDED, LOST }

    final SimZooKeeper zk;
    final SimLoop.Host host;
    final WorkerId worker;
    final SessionConfirmations confirmations;
    private final List<Listener> listeners = new ArrayList<>();
    private SimZooKeeper.Session session;
    private State state = State.CONNECTED;
    private boolean linkUp = true;
    private Instant lastHeard;
    private Instant suspendedAt;
    /** When the server applied this client's last request, and when its last answer or event arrived: both in order. */
    private Instant lastApplied;
    private Instant lastArrived;
    /** The probability that the answer to a request that the server applied is lost (a connection loss). */
    double lostAnswers;
    /** The server this client was last connected to, and its connections so far: an answer of an earlier one is lost. */
    private int lastServer;
    private long connection;
    /** The last zxid this client saw (answers carry it), and the zxid of its last write. */
    private long seenZxid;
    private long writtenZxid;
    /** Writes sent to its server that have not reached the leader yet: a later read waits for them. */
    private int writesInFlight;

    SimClient(SimZooKeeper zk, SimLoop.Host host, WorkerId worker) {
        this.zk = zk;
        this.host = host;
        this.worker = worker;
        this.confirmations = new SessionConfirmations(zk.sessionTimeout, zk.loop::nanos);
        this.lastHeard = zk.loop.now();
        this.lastApplied = zk.loop.now();
        this.lastArrived = zk.loop.now();
        openSession(-1);
        confirmations.confirmed(zk.loop.nanos());
    }

    private void openSession(int preferred) {
        session = zk.open(this, preferred);
        lastServer = session.server;
        connection++;
        seenZxid = session.openZxid;
        writtenZxid = session.openZxid;
        writesInFlight = 0;
    }

    /**
     * How long until the next request reaches the server: never before an earlier one, as ZooKeeper
     * applies one session's requests in the order sent.
     */
    private Duration untilApplied() {
        Instant at = zk.loop.now().plus(zk.latency());
        lastApplied = at.isAfter(lastApplied) ? at : lastApplied;
        return Duration.between(zk.loop.now(), lastApplied);
    }

    /**
     * How long until the next answer or watch event reaches this client: never before an earlier one,
     * as they arrive in order over the session's one connection.
     */
    Duration untilArrived() {
        Instant at = zk.loop.now().plus(zk.latency());
        lastArrived = at.isAfter(lastArrived) ? at : lastArrived;
        return Duration.between(zk.loop.now(), lastArrived);
    }

    void listen(Listener listener) {
        listeners.add(listener);
    }

    void start() {
        tick();
    }

    long sessionId() {
        return session.id;
    }

    long seenZxid() {
        return seenZxid;
    }

    boolean connected() {
        return state == State.CONNECTED && linkUp && session.server >= 0;
    }

    /**
     * The data tree of the server this client is (or was last) connected to: what a read answers now,
     * without its latency (for the leader latch and the leader's periodic check). Like an answer, it
     * carries the server's zxid, which the client has seen from then on.
     */
    SimZooKeeper.Tree view() {
        SimZooKeeper.Tree tree = zk.servers[lastServer].tree;
        seen(tree.zxid);
        return tree;
    }

    /** The network between this worker and ZooKeeper goes down or comes back. */
    void link(boolean up) {
        linkUp = up;
    }

    boolean linkUp() {
        return linkUp;
    }

    private SimZooKeeper.Server server() {
        return session.server < 0 ? null : zk.servers[session.server];
    }

    /** Whether the server this client is connected to has applied the close of its session. */
    private boolean serverSaysExpired(SimZooKeeper.Server at) {
        return at.tree.zxid >= session.openZxid && !at.tree.sessions.contains(session.id);
    }

    private void tick() {
        SimLoop loop = zk.loop;
        SimZooKeeper.Server at = server();
        if (linkUp && at != null && at.down) {
            trace("disconnected: server " + at.id + " dropped its clients");
            disconnect();
            at = null;
            if (state == State.CONNECTED) {
                state = State.SUSPENDED;
                suspendedAt = loop.now();
                trace("SUSPENDED");
                listeners.forEach(Listener::suspended);
            }
        }
        boolean reconnected = false;
        if (linkUp && at == null) {
            at = reconnect();
            reconnected = at != null;
        }
        // The server says the session expired once it applied its close; a server it reconnects to asks the leader.
        boolean expired = at != null && (serverSaysExpired(at) || (reconnected && !zk.alive(session.id)));
        if (linkUp && at != null && !expired) {
            if (at.cut()) {
                session.pingedWhileCut = true;
            } else {
                session.lastHeard = loop.now();
            }
            lastHeard = loop.now();
            confirm(at);
            if (state == State.SUSPENDED) {
                state = State.CONNECTED;
                trace("RECONNECTED");
                listeners.forEach(Listener::reconnected);
            }
        } else if (linkUp && at != null) {
            if (state != State.LOST) {
                state = State.LOST;
                trace("LOST (the server says the session expired)");
                listeners.forEach(Listener::lost);
            }
            openSession(at.id);
            lastHeard = loop.now();
            state = State.CONNECTED;
            long id = session.id;
            listeners.forEach(listener -> listener.newSession(id));
            trace("RECONNECTED with session " + id);
            listeners.forEach(Listener::reconnected);
        } else if (state == State.CONNECTED
                && Duration.between(lastHeard, loop.now()).compareTo(zk.sessionTimeout.multipliedBy(2).dividedBy(3)) >= 0) {
            state = State.SUSPENDED;
            suspendedAt = loop.now();
            trace("SUSPENDED");
            disconnect();
            listeners.forEach(Listener::suspended);
        } else if (state == State.SUSPENDED && Duration.between(suspendedAt, loop.now()).compareTo(zk.sessionTimeout) >= 0) {
            state = State.LOST;
            trace("LOST");
            listeners.forEach(Listener::lost);
        }
        host.timer(SessionConfirmations.interval(zk.sessionTimeout), this::tick);
    }

    /** The connection is gone: the next answers are lost, and the client connects again, to the next server. */
    private void disconnect() {
        if (session.server >= 0) {
            zk.moved(session.id, -1);
            connection++;
        }
    }

    /**
     * Connects to the next server that serves clients and has applied every zxid this client saw (a
     * server behind it refuses it); null if none does now.
     */
    private SimZooKeeper.Server reconnect() {
        for (int i = 1; i <= SimZooKeeper.SERVERS; i++) {
            SimZooKeeper.Server next = zk.servers[(lastServer + i) % SimZooKeeper.SERVERS];
            if (next.down) {
                continue;
            }
            if (next.tree.zxid < seenZxid) {
                zk.counts[SimZooKeeper.Counts.BEHIND]++;
                trace("server " + next.id + " refuses the connection: it applied zxid " + next.tree.zxid
                        + ", this client saw " + seenZxid);
                continue;
            }
            if (next.cut()) {
                // It cannot ask the leader whether the session lives: the attempt times out.
                continue;
            }
            if (next.id != lastServer) {
                zk.counts[SimZooKeeper.Counts.MOVES]++;
            }
            lastServer = next.id;
            connection++;
            zk.moved(session.id, next.id);
            trace("connected to server " + next.id);
            return next;
        }
        return null;
    }

    /**
     * Confirms the session as production does, with a {@code sync}: it goes through the leader, and is
     * answered once the client's server has applied everything the leader committed before it.
     */
    private void confirm(SimZooKeeper.Server at) {
        long sent = zk.loop.nanos();
        long asked = session.id;
        long on = connection;
        zk.server.timer(untilApplied(), () -> at.whenLeaderReached(() -> {
            if (!zk.alive(asked)) {
                return;
            }
            long upTo = zk.lastZxid();
            at.whenApplied(upTo, () -> host.timer(untilArrived(), () -> {
                if (linkUp && connection == on && session.id == asked && zk.alive(asked)) {
                    seen(upTo);
                    confirmations.confirmed(sent);
                }
            }), () -> {
            });
        }, () -> {
        }));
    }

    private void seen(long zxid) {
        seenZxid = Math.max(seenZxid, zxid);
    }

    private void trace(String what) {
        zk.loop.trace.add(zk.loop.now(), worker.value(), what);
    }

    /**
     * A write: it reaches the client's server after a latency, in the session it was sent in, goes
     * through the leader (which applies {@code atLeader} to what it committed), and is answered after
     * another latency once the client's server applied it. Without a link or a server it fails with a
     * connection loss; so does a write whose server drops its clients first; an answer may be lost
     * after the leader applied the write.
     */
    <T> CompletionStage<T> request(String what, Function<Long, T> atLeader) {
        return send(what, (at, sentIn, answer) -> {
            writesInFlight++;
            at.whenLeaderReached(() -> {
                writesInFlight--;
                T result;
                try {
                    if (!zk.alive(sentIn)) {
                        zk.counts[SimZooKeeper.Counts.REFUSED_EXPIRED] += what.startsWith("publish generation") ? 1 : 0;
                        throw new SessionExpired(what);
                    }
                    result = atLeader.apply(sentIn);
                } catch (RuntimeException e) {
                    answer.fail(e);
                    return;
                }
                long zxid = zk.lastZxid();
                writtenZxid = Math.max(writtenZxid, zxid);
                at.whenApplied(zxid, () -> answer.ok(result, zxid), () -> answer.fail(new ConnectionLoss(what + " (applied, server gone)")));
            }, () -> {
                writesInFlight--;
                answer.fail(new ConnectionLoss(what + " (the server dropped its clients)"));
            });
        });
    }

    /**
     * A read: served by the client's server from what it has applied, once it has applied this
     * client's earlier writes (as ZooKeeper keeps one session's requests in order); {@code atServer}
     * sees the session and the server's tree.
     */
    <T> CompletionStage<T> read(String what, BiFunction<Long, SimZooKeeper.Tree, T> atServer) {
        return send(what, (at, sentIn, answer) -> {
            Runnable serve = () -> at.whenApplied(writtenZxid, () -> {
                if (at.tree.zxid < zk.lastZxid()) {
                    zk.counts[SimZooKeeper.Counts.STALE_READS]++;
                }
                if (!zk.alive(sentIn)) {
                    if (sentIn != session.id || serverSaysExpired(at)) {
                        answer.fail(new SessionExpired(what));
                        return;
                    }
                    // Its server has not applied the close yet: it answers as if the session lived.
                    zk.counts[SimZooKeeper.Counts.EXPIRED_LATE]++;
                }
                T result;
                try {
                    result = atServer.apply(sentIn, at.tree);
                } catch (RuntimeException e) {
                    answer.fail(e);
                    return;
                }
                answer.ok(result, at.tree.zxid);
            }, () -> answer.fail(new ConnectionLoss(what + " (the server dropped its clients)")));
            if (writesInFlight > 0) {
                at.whenLeaderReached(serve, () -> answer.fail(new ConnectionLoss(what + " (the server dropped its clients)")));
            } else {
                serve.run();
            }
        });
    }

    private interface AtServer<T> {
        void handle(SimZooKeeper.Server at, long sentIn, Answer<T> answer);
    }

    /** The answer to one request, sent back over the connection it came in on. */
    private final class Answer<T> {
        final String what;
        final CompletableFuture<T> future;
        final long on;

        Answer(String what, CompletableFuture<T> future, long on) {
            this.what = what;
            this.future = future;
            this.on = on;
        }

        void ok(T result, long zxid) {
            boolean lost = zk.loop.random.nextDouble() < lostAnswers;
            host.timer(untilArrived(), () -> {
                if (lost || !linkUp || connection != on) {
                    trace(what + ": applied, but the answer was lost");
                    future.completeExceptionally(new ConnectionLoss(what + " (applied, answer lost)"));
                } else {
                    seen(zxid);
                    future.complete(result);
                }
            });
        }

        void fail(RuntimeException e) {
            host.timer(untilArrived(), () -> {
                trace(what + ": " + e.getMessage());
                future.completeExceptionally(e);
            });
        }
    }

    private <T> CompletionStage<T> send(String what, AtServer<T> handler) {
        CompletableFuture<T> future = new CompletableFuture<>();
        long sentIn = session.id;
        zk.requests++;
        SimZooKeeper.Server at = server();
        if (!linkUp || at == null) {
            host.timer(untilArrived(), () -> {
                trace(what + ": connection loss");
                future.completeExceptionally(new ConnectionLoss(what));
            });
            return future;
        }
        Answer<T> answer = new Answer<>(what, future, connection);
        zk.server.timer(untilApplied(), () -> {
            if (connection != answer.on || at.down) {
                answer.fail(new ConnectionLoss(what + " (the connection was gone)"));
                return;
            }
            handler.handle(at, sentIn, answer);
        });
        return future;
    }

    static final class ConnectionLoss extends RuntimeException {
        ConnectionLoss(String what) {
            super("ConnectionLoss: " + what);
        }
    }

    static final class SessionExpired extends RuntimeException {
        SessionExpired(String what) {
            super("SessionExpired: " + what);
        }
    }
}
