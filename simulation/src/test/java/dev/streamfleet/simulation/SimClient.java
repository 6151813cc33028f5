package dev.streamfleet.simulation;

import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.internal.zk.SessionConfirmations;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * One worker's ZooKeeper connection as Curator presents it: SUSPENDED once the server has not
 * answered for two thirds of the session timeout, RECONNECTED when it answers again in the same
 * session, LOST one timeout after SUSPENDED or when the server says the session expired; then a
 * new session. It confirms its session as production does, with a sync every quarter timeout, and
 * its leases count as current by the production rule ({@link SessionConfirmations}).
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

    SimClient(SimZooKeeper zk, SimLoop.Host host, WorkerId worker) {
        this.zk = zk;
        this.host = host;
        this.worker = worker;
        this.confirmations = new SessionConfirmations(zk.sessionTimeout, zk.loop::nanos);
        this.session = zk.open(this);
        this.lastHeard = zk.loop.now();
        this.lastApplied = zk.loop.now();
        this.lastArrived = zk.loop.now();
        confirmations.confirmed(zk.loop.nanos());
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

    boolean connected() {
        return state == State.CONNECTED && linkUp;
    }

    /** The network between this worker and ZooKeeper goes down or comes back. */
    void link(boolean up) {
        linkUp = up;
    }

    boolean linkUp() {
        return linkUp;
    }

    private void tick() {
        SimLoop loop = zk.loop;
        if (linkUp) {
            if (zk.alive(session.id)) {
                session.lastHeard = loop.now();
                lastHeard = loop.now();
                long sent = loop.nanos();
                long asked = session.id;
                host.timer(untilArrived(), () -> {
                    if (linkUp && session.id == asked && zk.alive(asked)) {
                        confirmations.confirmed(sent);
                    }
                });
                if (state == State.SUSPENDED) {
                    state = State.CONNECTED;
                    trace("RECONNECTED");
                    listeners.forEach(Listener::reconnected);
                }
            } else {
                if (state != State.LOST) {
                    state = State.LOST;
                    trace("LOST (the server says the session expired)");
                    listeners.forEach(Listener::lost);
                }
                session = zk.open(this);
                lastHeard = loop.now();
                state = State.CONNECTED;
                long id = session.id;
                listeners.forEach(listener -> listener.newSession(id));
                trace("RECONNECTED with session " + id);
                listeners.forEach(Listener::reconnected);
            }
        } else if (state == State.CONNECTED
                && Duration.between(lastHeard, loop.now()).compareTo(zk.sessionTimeout.multipliedBy(2).dividedBy(3)) >= 0) {
            state = State.SUSPENDED;
            suspendedAt = loop.now();
            trace("SUSPENDED");
            listeners.forEach(Listener::suspended);
        } else if (state == State.SUSPENDED && Duration.between(suspendedAt, loop.now()).compareTo(zk.sessionTimeout) >= 0) {
            state = State.LOST;
            trace("LOST");
            listeners.forEach(Listener::lost);
        }
        host.timer(SessionConfirmations.interval(zk.sessionTimeout), this::tick);
    }

    private void trace(String what) {
        zk.loop.trace.add(zk.loop.now(), worker.value(), what);
    }

    /**
     * A request: applied at the server after a latency, in the session it was sent in, answered
     * after another. Without a link it fails with a connection loss; an answer may be lost after
     * the server applied the request.
     */
    <T> CompletionStage<T> request(String what, Function<Long, T> atServer) {
        CompletableFuture<T> answer = new CompletableFuture<>();
        long sentIn = session.id;
        zk.requests++;
        if (!linkUp) {
            host.timer(untilArrived(), () -> {
                trace(what + ": connection loss");
                answer.completeExceptionally(new ConnectionLoss(what));
            });
            return answer;
        }
        zk.server.timer(untilApplied(), () -> {
            T result;
            try {
                if (!zk.alive(sentIn)) {
                    throw new SessionExpired(what);
                }
                result = atServer.apply(sentIn);
            } catch (RuntimeException e) {
                host.timer(untilArrived(), () -> {
                    trace(what + ": " + e.getMessage());
                    answer.completeExceptionally(e);
                });
                return;
            }
            boolean lost = zk.loop.random.nextDouble() < lostAnswers;
            host.timer(untilArrived(), () -> {
                if (lost || !linkUp) {
                    trace(what + ": applied, but the answer was lost");
                    answer.completeExceptionally(new ConnectionLoss(what + " (applied, answer lost)"));
                } else {
                    answer.complete(result);
                }
            });
        });
        return answer;
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
