package dev.streamfleet.simulation;

import dev.streamfleet.coordinator.AssignedUnits;
import dev.streamfleet.coordinator.UnitLoad;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.UnitId;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A ZooKeeper ensemble as the fleet uses it: sessions that expire one timeout after the server last
 * heard from them (checked on tick boundaries), ephemeral lease nodes with creation zxids, members
 * in election order, assignment nodes with a generation, reports of ended units, and one-shot
 * watches that a session's end removes. What a client sees of it arrives late by a random latency.
 */
final class SimZooKeeper {

    static final Duration TICK = Duration.ofMillis(200);

    final SimLoop loop;
    final Duration sessionTimeout;
    final SimLoop.Host server;
    private long zxid = 100;
    private long nextSession = 1;
    private final Map<Long, Session> sessions = new HashMap<>();
    final Map<UnitId, Lease> leases = new TreeMap<>();
    /** Live members in election order: the first is the leader. */
    final SortedMap<Long, WorkerId> members = new TreeMap<>();
    /** Each worker's assignment as written: an {@link AssignedUnits}, or garbage that no worker can read. */
    final Map<WorkerId, Object> assignments = new TreeMap<>();
    long generation;
    final TreeSet<UnitId> ended = new TreeSet<>();
    /** Each worker's ephemeral loads node: the loads it published last, in the session that wrote them. */
    final Map<WorkerId, PublishedLoads> loads = new TreeMap<>();
    /** The watches set, by path, in the order set. */
    private final Map<String, List<Watch>> watches = new java.util.LinkedHashMap<>();
    /** How many requests the clients sent and how many watch events reached them, for the scale report. */
    long requests;
    long watchEvents;

    record Lease(long session, long czxid) {
    }

    record PublishedLoads(long session, Map<UnitId, UnitLoad> loads) {
    }

    private record Watch(String path, long session, SimClient client, Runnable fire) {
    }

    final class Session {
        final long id;
        final SimClient client;
        Instant lastHeard;
        boolean alive = true;

        Session(long id, SimClient client) {
            this.id = id;
            this.client = client;
            this.lastHeard = loop.now();
        }
    }

    SimZooKeeper(SimLoop loop, Duration sessionTimeout) {
        this.loop = loop;
        this.sessionTimeout = sessionTimeout;
        this.server = loop.host("zookeeper");
        tick();
    }

    private void tick() {
        for (Session session : new ArrayList<>(sessions.values())) {
            if (Duration.between(session.lastHeard, loop.now()).compareTo(sessionTimeout) > 0) {
                expire(session);
            }
        }
        server.timer(TICK, this::tick);
    }

    Session open(SimClient client) {
        Session session = new Session(nextSession++, client);
        sessions.put(session.id, session);
        loop.trace.add(loop.now(), client.worker.value(), "session " + session.id + " opened");
        return session;
    }

    boolean alive(long session) {
        Session found = sessions.get(session);
        return found != null && found.alive;
    }

    private void expire(Session session) {
        session.alive = false;
        sessions.remove(session.id);
        loop.trace.add(loop.now(), session.client.worker.value(), "session " + session.id + " expired at the server");
        watches.values().forEach(set -> set.removeIf(watch -> watch.session == session.id));
        List<UnitId> gone = leases.entrySet().stream().filter(e -> e.getValue().session() == session.id)
                .map(Map.Entry::getKey).toList();
        for (UnitId unit : gone) {
            leases.remove(unit);
            loop.trace.add(loop.now(), session.client.worker.value(), "lease of " + unit + " gone with the session");
            fire("lease/" + unit);
        }
        loads.values().removeIf(published -> published.session() == session.id);
        if (members.remove(session.id) != null) {
            fire("members");
        }
    }

    /** The client closes its session: its ephemeral nodes go at once. */
    void close(long session) {
        Session found = sessions.get(session);
        if (found != null) {
            expire(found);
        }
    }

    /** A member joins the election with its session; the lowest live session leads. */
    void register(long session, WorkerId worker) {
        if (alive(session)) {
            members.put(session, worker);
            fire("members");
        }
    }

    Optional<WorkerId> leader() {
        return members.isEmpty() ? Optional.empty() : Optional.of(members.get(members.firstKey()));
    }

    void watch(String path, long session, SimClient client, Runnable fire) {
        if (alive(session)) {
            watches.computeIfAbsent(path, p -> new ArrayList<>()).add(new Watch(path, session, client, fire));
        }
    }

    void removeWatches(SimClient client) {
        watches.values().forEach(set -> set.removeIf(watch -> watch.client == client));
    }

    /** Fires the path's watches once each, on their clients, after a latency. */
    void fire(String path) {
        List<Watch> firing = watches.remove(path);
        if (firing == null) {
            return;
        }
        for (Watch watch : firing) {
            watch.client.host.timer(watch.client.untilArrived(), () -> deliver(watch));
        }
    }

    /** A watch event reaches its client over its link, once the link is up, if its session is still the client's. */
    private void deliver(Watch watch) {
        if (watch.client.sessionId() != watch.session) {
            return;
        }
        if (!watch.client.linkUp()) {
            watch.client.host.timer(TICK, () -> deliver(watch));
            return;
        }
        watchEvents++;
        watch.fire.run();
    }

    /** The longest latency of a request or a watch event now; a fault raises it for a while. */
    int maxLatencyMillis = 15;

    Duration latency() {
        return Duration.ofMillis(1 + loop.random.nextInt(maxLatencyMillis));
    }

    long nextZxid() {
        return ++zxid;
    }

    /** The leader writes the assignments of a generation. */
    void publish(long generation, Map<WorkerId, ?> written) {
        this.generation = generation;
        written.forEach((worker, body) -> {
            assignments.put(worker, body);
            fire("assignment/" + worker.value());
        });
    }

    /**
     * A worker writes its loads node, as production's {@code FleetMember.publishLoads}: its data set,
     * or, when it is gone (a new session), created again as an ephemeral of the writing session.
     */
    void publishLoads(WorkerId worker, long session, Map<UnitId, UnitLoad> published) {
        PublishedLoads node = loads.get(worker);
        loads.put(worker, new PublishedLoads(node == null ? session : node.session(), Map.copyOf(published)));
    }

    void deleteAssignment(WorkerId worker) {
        if (assignments.remove(worker) != null) {
            fire("assignment/" + worker.value());
        }
    }

    /** Deletes the lease if it is the one created at {@code czxid}; watches fire. */
    boolean deleteLease(UnitId unit, long czxid) {
        Lease lease = leases.get(unit);
        if (lease != null && lease.czxid() == czxid) {
            leases.remove(unit);
            fire("lease/" + unit);
            return true;
        }
        return false;
    }
}
