package dev.streamfleet.simulation;

import dev.streamfleet.coordinator.AssignedUnits;
import dev.streamfleet.coordinator.UnitLoad;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.coordinator.internal.zk.SimLeaderReads;
import dev.streamfleet.coordinator.internal.zk.SimLeaderReads.Area;
import dev.streamfleet.coordinator.internal.zk.SimLeaderReads.Znode;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A ZooKeeper ensemble as the fleet uses it: three servers, of which server 0 leads and commits
 * every write (a zxid each) and the two followers apply the committed changes each after a delay of
 * its own (a few milliseconds; seconds while it lags). A session is connected to one server, which
 * answers its reads from what it has applied and fires its watches as it applies a change; its
 * writes go through the leader, and are answered once its own server applied them, so a client sees
 * its own writes in order. A follower cut off from the leader stops applying and, after its sync
 * limit, drops its clients; they reconnect to another server, which refuses a client that has seen a
 * later zxid than it has applied. Sessions expire one timeout after the leader last heard from them
 * (relayed by their server; checked on tick boundaries), ephemeral lease nodes with creation zxids,
 * members in election order, assignment nodes with a versioned generation, reports of ended units,
 * and one-shot watches that a session's end removes. The leader's publish is production's
 * transaction: its election node checked, the generation written at the version it read, each
 * assignment node set if it read one, created if not, all or nothing.
 */
final class SimZooKeeper {

    static final Duration TICK = Duration.ofMillis(200);
    static final int SERVERS = 3;
    /** How long a follower that hears nothing from the leader goes on serving its clients (syncLimit × tickTime). */
    final Duration syncLimit;

    final SimLoop loop;
    final Duration sessionTimeout;
    final SimLoop.Host server;
    /** Draws the followers' delays and faults, apart from the other faults. */
    private final Random draw;
    private long zxid = 100;
    private long nextSession = 1;
    private final Map<Long, Session> sessions = new HashMap<>();
    final Server[] servers = new Server[SERVERS];
    /** The leader's data tree: what the ensemble committed. */
    final Tree committed;
    final Map<UnitId, Lease> leases;
    /** Live members in election order: the first is the leader. */
    final SortedMap<Long, WorkerId> members;
    /** The nodes under {@code workers/}, by name: each live worker's registration, and whatever else is there. */
    final Map<String, Znode> registrations;
    /** The nodes under {@code assignments/}, by name, in production's format (or garbage no worker can read). */
    final Map<String, byte[]> assignments;
    /** The names under {@code ended/}. */
    final TreeSet<String> ended;
    /** The nodes under {@code loads/}: each worker's ephemeral loads node, in the session that wrote it. */
    final Map<String, PublishedLoads> loads;
    /** The watches set, by path, in the order set. */
    private final Map<String, List<Watch>> watches = new java.util.LinkedHashMap<>();
    /** How many requests the clients sent and how many watch events reached them, for the scale report. */
    long requests;
    long watchEvents;
    final long[] counts = new long[Counts.KINDS];

    record Lease(long session, long czxid) {
    }

    /** A loads node: its ephemeral owner and its data. */
    record PublishedLoads(long session, byte[] data) {
    }

    private record Watch(String path, long session, SimClient client, Runnable fire, long setAt) {
    }

    /** One server's copy of the data tree, as of the last change it applied. */
    static final class Tree implements SimLeaderReads.Znodes {
        long zxid;
        final Set<Long> sessions = new java.util.HashSet<>();
        final Map<UnitId, Lease> leases = new TreeMap<>();
        final SortedMap<Long, WorkerId> members = new TreeMap<>();
        final Map<String, Znode> registrations = new TreeMap<>();
        final Map<String, byte[]> assignments = new TreeMap<>();
        long generation;
        int generationVersion;
        /** The member entry (election node) of the leader that last wrote the generation. */
        long generationBy;
        final TreeSet<String> ended = new TreeSet<>();
        final Map<String, PublishedLoads> loads = new TreeMap<>();
        /** The zxid that last changed each watchable path. */
        final Map<String, Long> changedAt = new HashMap<>();

        Optional<WorkerId> leader() {
            return members.isEmpty() ? Optional.empty() : Optional.of(members.get(members.firstKey()));
        }

        @Override
        public java.util.Collection<String> children(Area area) {
            return switch (area) {
                case WORKERS -> registrations.keySet();
                case ASSIGNMENTS -> assignments.keySet();
                case LOADS -> loads.keySet();
                case ENDED -> ended;
            };
        }

        @Override
        public Znode node(Area area, String name) {
            return switch (area) {
                case WORKERS -> registrations.get(name);
                case ASSIGNMENTS -> assignments.containsKey(name) ? new Znode(assignments.get(name), 0) : null;
                case LOADS -> loads.containsKey(name) ? new Znode(loads.get(name).data(), loads.get(name).session()) : null;
                case ENDED -> ended.contains(name) ? new Znode(new byte[0], 0) : null;
            };
        }
    }

    /** A committed change: the paths whose watches it fires, and what it does to a tree. */
    private record Change(long zxid, List<String> paths, Edit edit, Instant applyAt) {
    }

    interface Edit {
        void apply(Tree tree, long zxid);
    }

    /** A request waiting at a server: for a zxid to be applied, or (zxid -1) for the leader to be reachable. */
    private record Waiter(long zxid, Runnable then, Runnable dropped) {
    }

    final class Server {
        final int id;
        final Tree tree;
        private final ArrayDeque<Change> pending = new ArrayDeque<>();
        private final List<Waiter> waiters = new ArrayList<>();
        private Instant lastApplyAt;
        private boolean pumping;
        /** Lags behind the leader by up to this much; normally a few milliseconds. */
        Duration lag = Duration.ZERO;
        /** Cut off from the leader since then; null while connected. */
        Instant cutAt;
        /** Dropped its clients after its sync limit: serves nobody until it is back with the leader. */
        boolean down;

        Server(int id, Tree tree) {
            this.id = id;
            this.tree = tree;
            this.lastApplyAt = loop.now();
        }

        boolean cut() {
            return cutAt != null;
        }

        private void enqueue(Change change) {
            Instant at = loop.now().plus(lag).plusMillis(draw.nextInt(4));
            lastApplyAt = at.isAfter(lastApplyAt) ? at : lastApplyAt;
            pending.add(new Change(change.zxid, change.paths, change.edit, lastApplyAt));
            pump();
        }

        private void pump() {
            if (pumping || cut() || pending.isEmpty()) {
                return;
            }
            pumping = true;
            server.timer(Duration.between(loop.now(), pending.peek().applyAt()), () -> {
                pumping = false;
                while (!cut() && !pending.isEmpty() && !pending.peek().applyAt().isAfter(loop.now())) {
                    apply(pending.poll());
                }
                pump();
            });
        }

        private void apply(Change change) {
            change.edit.apply(tree, change.zxid);
            tree.zxid = change.zxid;
            for (String path : change.paths) {
                tree.changedAt.put(path, change.zxid);
            }
            for (String path : change.paths) {
                fire(this, path);
            }
            List<Waiter> ready = new ArrayList<>();
            waiters.removeIf(waiter -> waiter.zxid >= 0 && waiter.zxid <= tree.zxid && ready.add(waiter));
            ready.forEach(waiter -> waiter.then.run());
        }

        /** Runs {@code then} once this server applied {@code zxid}, or {@code dropped} if it drops its clients first. */
        void whenApplied(long zxid, Runnable then, Runnable dropped) {
            if (down) {
                dropped.run();
            } else if (tree.zxid >= zxid) {
                then.run();
            } else {
                waiters.add(new Waiter(zxid, then, dropped));
            }
        }

        /** Runs {@code then} once this server can forward to the leader, or {@code dropped} if it drops its clients first. */
        void whenLeaderReached(Runnable then, Runnable dropped) {
            if (down) {
                dropped.run();
            } else if (!cut()) {
                then.run();
            } else {
                waiters.add(new Waiter(-1, then, dropped));
            }
        }

        /** Cut off from the leader: applies nothing, and drops its clients after the sync limit. */
        void cutOff(Duration length) {
            Instant at = loop.now();
            cutAt = at;
            server.timer(syncLimit, () -> {
                if (at.equals(cutAt)) {
                    down = true;
                    counts[Counts.DROPS]++;
                    loop.trace.add(loop.now(), "zookeeper", "FAULT server " + id + " heard nothing from the leader for "
                            + syncLimit.toMillis() + " ms: it drops its clients");
                    List<Waiter> gone = new ArrayList<>(waiters);
                    waiters.clear();
                    gone.forEach(waiter -> waiter.dropped.run());
                }
            });
            server.timer(length, () -> {
                if (at.equals(cutAt)) {
                    rejoin();
                }
            });
        }

        /** Restarts: drops its clients at once, and is back with the leader after {@code length}, catching up. */
        void restart(Duration length) {
            Instant at = loop.now();
            cutAt = at;
            down = true;
            List<Waiter> gone = new ArrayList<>(waiters);
            waiters.clear();
            gone.forEach(waiter -> waiter.dropped.run());
            server.timer(length, () -> {
                if (at.equals(cutAt)) {
                    rejoin();
                }
            });
        }

        /** Back with the leader: catches up on everything committed meanwhile, then goes on as before. */
        void rejoin() {
            if (!cut()) {
                return;
            }
            cutAt = null;
            boolean served = !down;
            down = false;
            loop.trace.add(loop.now(), "zookeeper", "server " + id + " is back with the leader");
            // Its next ping to the leader relays the sessions its clients kept alive meanwhile.
            for (Session session : sessions.values()) {
                if (session.pingedWhileCut && served && session.server == id) {
                    session.lastHeard = loop.now();
                }
                session.pingedWhileCut = false;
            }
            while (!pending.isEmpty() && !cut()) {
                apply(pending.poll());
            }
            List<Waiter> forwarded = new ArrayList<>();
            waiters.removeIf(waiter -> waiter.zxid < 0 && forwarded.add(waiter));
            forwarded.forEach(waiter -> waiter.then.run());
        }
    }

    final class Session {
        final long id;
        final SimClient client;
        final long openZxid;
        Instant lastHeard;
        /** Its client pinged its server while the server was cut off from the leader: relayed when it is back. */
        boolean pingedWhileCut;
        boolean alive = true;
        /** The server it is connected to; -1 while its client is disconnected. */
        int server;

        Session(long id, SimClient client, long openZxid, int server) {
            this.id = id;
            this.client = client;
            this.openZxid = openZxid;
            this.server = server;
            this.lastHeard = loop.now();
        }
    }

    SimZooKeeper(SimLoop loop, Duration sessionTimeout, Random draw) {
        this.loop = loop;
        this.sessionTimeout = sessionTimeout;
        this.draw = draw;
        this.server = loop.host("zookeeper");
        // From five ticks of 200 ms to five of 3 s: shorter than the session, or well past it.
        this.syncLimit = Duration.ofMillis(1000 + draw.nextInt(14_000));
        for (int i = 0; i < SERVERS; i++) {
            servers[i] = new Server(i, new Tree());
        }
        this.committed = servers[0].tree;
        this.leases = committed.leases;
        this.members = committed.members;
        this.registrations = committed.registrations;
        this.assignments = committed.assignments;
        this.ended = committed.ended;
        this.loads = committed.loads;
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

    /** The leader commits a change: applied at once to its own tree, by each follower after its delay. */
    long commit(List<String> paths, Edit edit) {
        long at = ++zxid;
        Change change = new Change(at, paths, edit, loop.now());
        servers[0].apply(change);
        for (int i = 1; i < SERVERS; i++) {
            servers[i].enqueue(change);
        }
        return at;
    }

    long lastZxid() {
        return zxid;
    }

    /** A new session, connected to a server that reaches the leader (drawn, for a first connection). */
    Session open(SimClient client, int preferred) {
        int on = preferred;
        if (on < 0 || servers[on].cut()) {
            on = draw.nextInt(SERVERS);
            while (servers[on].cut()) {
                on = (on + 1) % SERVERS;
            }
        }
        long id = nextSession++;
        long openZxid = commit(List.of(), (tree, z) -> tree.sessions.add(id));
        Session session = new Session(id, client, openZxid, on);
        sessions.put(session.id, session);
        loop.trace.add(loop.now(), client.worker.value(), "session " + session.id + " opened on server " + on);
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
        List<String> paths = new ArrayList<>();
        leases.forEach((unit, lease) -> {
            if (lease.session() == session.id) {
                paths.add("lease/" + unit);
                loop.trace.add(loop.now(), session.client.worker.value(), "lease of " + unit + " gone with the session");
            }
        });
        if (members.containsKey(session.id)) {
            paths.add("members");
        }
        long id = session.id;
        commit(paths, (tree, z) -> {
            tree.sessions.remove(id);
            tree.leases.values().removeIf(lease -> lease.session() == id);
            tree.loads.values().removeIf(published -> published.session() == id);
            tree.registrations.values().removeIf(node -> node.ephemeralOwner() == id);
            tree.members.remove(id);
        });
    }

    /** The client closes its session: its ephemeral nodes go at once. */
    void close(long session) {
        Session found = sessions.get(session);
        if (found != null) {
            expire(found);
        }
    }

    /**
     * A member registers under {@code workers/} (an ephemeral node of its session, in production's
     * format) and joins the election with its session; the lowest live session leads.
     */
    void register(long session, WorkerId worker) {
        if (alive(session)) {
            Znode registration = new Znode(SimLeaderReads.registration(worker, loop.now()), session);
            commit(List.of("members"), (tree, z) -> {
                tree.members.put(session, worker);
                tree.registrations.put(worker.value(), registration);
            });
        }
    }

    /** A node under {@code workers/} created or written over by hand: the leader's watch fires if it is new. */
    void setRegistration(String name, Znode node) {
        List<String> paths = registrations.containsKey(name) ? List.of() : List.of("members");
        commit(paths, (tree, z) -> tree.registrations.put(name, node));
    }

    /** A worker's loads node written over by hand, its owner kept. */
    void setLoads(String name, byte[] data) {
        PublishedLoads node = loads.get(name);
        if (node != null) {
            PublishedLoads written = new PublishedLoads(node.session(), data);
            commit(List.of(), (tree, z) -> tree.loads.put(name, written));
        }
    }

    /** A persistent node under {@code loads/} created by hand. */
    void addLoadsNode(String name, byte[] data) {
        commit(List.of(), (tree, z) -> tree.loads.put(name, new PublishedLoads(0, data)));
    }

    Optional<WorkerId> leader() {
        return committed.leader();
    }

    /** The server a session is connected to, or null while it is disconnected or gone. */
    Server serverOf(long session) {
        Session found = sessions.get(session);
        return found == null || found.server < 0 ? null : servers[found.server];
    }

    /** A watch set by a session at the server it is connected to, as of what that server applied. */
    void watch(String path, long session, SimClient client, Runnable fire) {
        if (alive(session)) {
            Server at = serverOf(session);
            watches.computeIfAbsent(path, p -> new ArrayList<>())
                    .add(new Watch(path, session, client, fire, at == null ? client.seenZxid() : at.tree.zxid));
        }
    }

    void removeWatches(SimClient client) {
        watches.values().forEach(set -> set.removeIf(watch -> watch.client == client));
    }

    /** Server {@code at} applied a change of the path: the watches its sessions set there fire, once each. */
    private void fire(Server at, String path) {
        List<Watch> set = watches.get(path);
        if (set == null) {
            return;
        }
        List<Watch> firing = new ArrayList<>();
        set.removeIf(watch -> {
            Session session = sessions.get(watch.session);
            return session != null && session.server == at.id && firing.add(watch);
        });
        firing.forEach(this::send);
    }

    private void send(Watch watch) {
        watch.client.host.timer(watch.client.untilArrived(), () -> deliver(watch));
    }

    /**
     * A session moves to another server (its client reconnected there): its client sets its watches
     * again, and the server fires at once each whose path changed after the watch was set.
     */
    void moved(long session, int to) {
        Session found = sessions.get(session);
        if (found == null) {
            return;
        }
        found.server = to;
        if (to < 0) {
            return;
        }
        Tree tree = servers[to].tree;
        for (List<Watch> set : watches.values()) {
            List<Watch> firing = new ArrayList<>();
            set.removeIf(watch -> watch.session == session
                    && tree.changedAt.getOrDefault(watch.path, 0L) > watch.setAt && firing.add(watch));
            firing.forEach(this::send);
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

    /** What the leader's transaction found wrong; nothing of it was applied. */
    static final class Refused extends RuntimeException {
        Refused(String what) {
            super(what);
        }
    }

    /**
     * The leader's publish, as production's transaction: {@code check} of its election node (the
     * member entry of the session it was elected in), {@code setData} of the generation at the version
     * it read, and of each assignment node it read ({@code create} of the others), applied at once or
     * not at all.
     */
    void publish(long electedIn, int generationVersion, long generation, Map<WorkerId, AssignedUnits> written,
                 Set<WorkerId> nodesRead) {
        // Each check that fails is counted; the first one is the transaction's error, as ZooKeeper's multi reports it.
        List<String> failed = new ArrayList<>();
        if (!members.containsKey(electedIn)) {
            counts[Counts.REFUSED_ELECTION]++;
            failed.add("NoNode: the election node of session " + electedIn + " is gone");
        }
        if (committed.generationVersion != generationVersion) {
            counts[Counts.REFUSED_GENERATION]++;
            boolean own = committed.generationBy == electedIn;
            counts[Counts.REFUSED_OWN_GENERATION] += own ? 1 : 0;
            failed.add("BadVersion: the generation is at version " + committed.generationVersion + ", not "
                    + generationVersion + (own ? " (this leader's own earlier write)" : " (written by session "
                    + committed.generationBy + ")"));
        }
        for (WorkerId worker : written.keySet()) {
            boolean exists = assignments.containsKey(worker.value());
            if (exists != nodesRead.contains(worker)) {
                counts[Counts.REFUSED_NODE]++;
                failed.add((exists ? "NodeExists" : "NoNode") + ": the assignment node of " + worker);
                break;
            }
        }
        if (!failed.isEmpty()) {
            counts[Counts.REFUSED]++;
            loop.trace.add(loop.now(), "zookeeper", "transaction of generation " + generation + " refused: " + failed);
            throw new Refused(failed.get(0));
        }
        List<String> paths = written.keySet().stream().map(worker -> "assignment/" + worker.value()).toList();
        Map<String, byte[]> bodies = new TreeMap<>();
        written.forEach((worker, assigned) -> bodies.put(worker.value(), SimLeaderReads.assignment(assigned)));
        commit(paths, (tree, z) -> {
            tree.generation = generation;
            tree.generationVersion++;
            tree.generationBy = electedIn;
            tree.assignments.putAll(bodies);
        });
    }

    /** A session writes a node under {@code assignments/} as it likes (a hand edit, garbage). */
    void setAssignment(String name, byte[] body) {
        commit(List.of("assignment/" + name), (tree, z) -> tree.assignments.put(name, body));
    }

    /** A node under {@code ended/}: a unit's report, or whatever a tool put there. */
    void addEnded(String name) {
        commit(List.of("ended"), (tree, z) -> tree.ended.add(name));
    }

    void removeEnded(String name) {
        if (ended.contains(name)) {
            commit(List.of(), (tree, z) -> tree.ended.remove(name));
        }
    }

    /** A lease created in {@code session}, unless there is one: its czxid, or -1. */
    long createLease(UnitId unit, long session) {
        if (leases.containsKey(unit)) {
            return -1;
        }
        return commit(List.of("lease/" + unit), (tree, z) -> tree.leases.put(unit, new Lease(session, z)));
    }

    /**
     * A worker writes its loads node, as production's {@code FleetMember.publishLoads}: its data set,
     * or, when it is gone (a new session), created again as an ephemeral of the writing session.
     */
    void publishLoads(WorkerId worker, long session, Map<UnitId, UnitLoad> published) {
        PublishedLoads node = loads.get(worker.value());
        PublishedLoads written = new PublishedLoads(node == null ? session : node.session(),
                SimLeaderReads.loads(published));
        commit(List.of(), (tree, z) -> tree.loads.put(worker.value(), written));
    }

    void deleteAssignment(WorkerId worker) {
        if (assignments.containsKey(worker.value())) {
            commit(List.of("assignment/" + worker.value()), (tree, z) -> tree.assignments.remove(worker.value()));
        }
    }

    /** Deletes the lease if it is the one created at {@code czxid}; watches fire. */
    boolean deleteLease(UnitId unit, long czxid) {
        Lease lease = leases.get(unit);
        if (lease != null && lease.czxid() == czxid) {
            commit(List.of("lease/" + unit), (tree, z) -> tree.leases.remove(unit));
            return true;
        }
        return false;
    }

    /** The time until the next follower fault: 2–10 s. */
    int faultPause() {
        return 2000 + draw.nextInt(8000);
    }

    /** A follower lags by seconds for a while, is cut off from the leader, or restarts: a fault, described. */
    String nextFault() {
        Server follower = servers[1 + draw.nextInt(SERVERS - 1)];
        Duration length = Duration.ofMillis(500 + draw.nextInt(20_000));
        if (follower.cut()) {
            return null;
        }
        int kind = draw.nextInt(3);
        if (kind == 2) {
            follower.restart(length);
            counts[Counts.RESTARTS]++;
            return "server " + follower.id + " restarts: it drops its clients and is back after " + length.toMillis() + " ms";
        }
        if (kind == 0) {
            Duration lag = Duration.ofMillis(500 + draw.nextInt(4500));
            follower.lag = lag;
            counts[Counts.LAGS]++;
            server.timer(length, () -> follower.lag = Duration.ZERO);
            return "server " + follower.id + " lags " + lag.toMillis() + " ms behind the leader for " + length.toMillis() + " ms";
        }
        follower.cutOff(length);
        counts[Counts.CUTS]++;
        return "server " + follower.id + " is cut off from the leader for " + length.toMillis() + " ms (sync limit "
                + syncLimit.toMillis() + " ms)";
    }

    /** The faults stop: every follower is back with the leader and keeps up with it. */
    void heal() {
        for (Server follower : servers) {
            follower.lag = Duration.ZERO;
            follower.rejoin();
        }
    }

    Counts counts() {
        return new Counts(counts.clone());
    }

    /** What happened at the ensemble in a run, or over runs. */
    record Counts(long[] of) {
        static final int LAGS = 0;
        static final int CUTS = 1;
        static final int DROPS = 2;
        static final int MOVES = 3;
        static final int BEHIND = 4;
        static final int STALE_READS = 5;
        static final int EXPIRED_LATE = 6;
        static final int REFUSED_EXPIRED = 7;
        static final int REFUSED_ELECTION = 8;
        static final int REFUSED_GENERATION = 9;
        static final int REFUSED_NODE = 10;
        static final int REFUSED = 11;
        static final int RESTARTS = 12;
        static final int REFUSED_OWN_GENERATION = 13;
        static final int KINDS = 14;

        static Counts none() {
            return new Counts(new long[KINDS]);
        }

        Counts plus(Counts other) {
            long[] sum = of.clone();
            for (int i = 0; i < KINDS; i++) {
                sum[i] += other.of[i];
            }
            return new Counts(sum);
        }

        long get(int kind) {
            return of[kind];
        }

        long refused() {
            return of[REFUSED_EXPIRED] + of[REFUSED];
        }

        @Override
        public String toString() {
            return String.format("%d followers lagging, %d cut off from the leader and %d restarting (%d dropped their"
                            + " clients); %d clients moved to another server, %d refused by a server behind them;"
                            + " %d stale reads, %d answered in a session the leader had expired; leaders' publishes"
                            + " refused: %d in an expired session, %d transactions (%d with the election node gone,"
                            + " %d with the generation moved on (%d of them by its own write: applied, answer lost, retried),"
                            + " %d with an assignment node created or deleted since read)",
                    of[LAGS], of[CUTS], of[RESTARTS], of[DROPS] + of[RESTARTS], of[MOVES], of[BEHIND], of[STALE_READS],
                    of[EXPIRED_LATE], of[REFUSED_EXPIRED], of[REFUSED], of[REFUSED_ELECTION], of[REFUSED_GENERATION],
                    of[REFUSED_OWN_GENERATION], of[REFUSED_NODE]);
        }
    }
}
