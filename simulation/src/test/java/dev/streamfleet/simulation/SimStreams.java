package dev.streamfleet.simulation;

import dev.streamfleet.coordinator.UnitDiscovery;
import dev.streamfleet.coordinator.UnitSpec;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.SourceKind;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.Fetch;
import dev.streamfleet.worker.RecordSource;
import dev.streamfleet.worker.SourceBinding;
import dev.streamfleet.worker.StreamRecord;
import dev.streamfleet.worker.internal.kinesis.HashKeyRange;
import dev.streamfleet.worker.internal.kinesis.KplAggregates;
import dev.streamfleet.worker.internal.kinesis.KplAggregation;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The streams of a run: a Kafka topic whose partitions may grow, and a Kinesis stream whose shards
 * split and merge by hash range. Records carry a key and that key's sequence number, so that
 * per-key order can be checked across partitions and shards. Some Kinesis puts are KPL aggregates,
 * read through production's de-aggregation ({@link SimShardSource}). Retention trims a shard and
 * truncates a partition (its log start moves up); a read whose position is gone goes on at the
 * oldest record retained, and says so as production's adapters do.
 */
final class SimStreams {

    static final String TOPIC = "orders";
    static final String STREAM = "events";
    private static final int HASHES = 1024;
    static final int BATCH = 10;
    /** A simulated hash (0 to 1023) is the top ten bits of Kinesis's 128-bit hash key. */
    private static final int HASH_SHIFT = 118;

    /**
     * One record as a processor sees it: a Kafka record, a plain Kinesis record or a user record of a
     * KPL aggregate that the shard's range keeps; {@code put} is its Kinesis record's index in
     * {@link Log#puts} (-1 for Kafka).
     */
    record Rec(UnitId unit, int index, String key, int keySeq, Position position, Instant arrival, int put) {
    }

    /**
     * One Kinesis record as put: plain ({@code users} 1) or a KPL aggregate of {@code users} user
     * records, of which the records {@code first} to {@code first + count - 1} lie in the shard's
     * range and {@code outside} do not (the producer's shard map was stale), each put again.
     */
    record Put(int first, int count, int users, software.amazon.awssdk.services.kinesis.model.Record record,
               List<Outside> outside) {
        boolean aggregate() {
            return users > 1;
        }
    }

    /** A user record an aggregate carried to a shard that does not own its key, and its copy put again to the owner. */
    record Outside(String key, int keySeq, Position.Sequence position, Rec reput) {
    }

    /** One unit's records, with its lineage and, for a shard, its hash range. */
    final class Log {
        final UnitId unit;
        final List<UnitId> parents;
        final Instant born;
        final int fromHash;
        final int toHash;
        final List<Rec> records = new ArrayList<>();
        /** Kinesis: the records as put, plain or aggregates; {@code records} holds their user records in range. */
        final List<Put> puts = new ArrayList<>();
        private final Map<Position, Integer> indexes = new java.util.HashMap<>();
        boolean closed;
        /** Where the unit was first opened, or -1 before that. */
        int firstOpenIndex = -1;
        /** The oldest record retained: those before it were trimmed (Kinesis) or truncated (Kafka). */
        int trimmedTo;
        /** Kinesis: the oldest Kinesis record retained (a trim takes whole aggregates). */
        int trimmedPuts;

        Log(UnitId unit, List<UnitId> parents, int fromHash, int toHash) {
            this.unit = unit;
            this.parents = List.copyOf(parents);
            this.born = loop.now();
            this.fromHash = fromHash;
            this.toHash = toHash;
        }

        /** The index in {@link #records} of the record at {@code position}. */
        int indexOf(Position position) {
            Integer index = indexes.get(position);
            if (index == null) {
                throw new IllegalStateException(unit + " has no record at " + position);
            }
            return index;
        }

        /** Kinesis: the hash keys the shard owns, as production's reader checks them. */
        HashKeyRange range() {
            return new HashKeyRange(BigInteger.valueOf(fromHash).shiftLeft(HASH_SHIFT),
                    BigInteger.valueOf(toHash + 1L).shiftLeft(HASH_SHIFT).subtract(BigInteger.ONE));
        }

        /** Whether the record at {@code index} is a user record of a KPL aggregate. */
        boolean aggregated(int index) {
            Rec rec = records.get(index);
            return rec.put() >= 0 && puts.get(rec.put()).aggregate();
        }

        /** Whether a position at the record {@code index} lies inside its aggregate: user records of it on either side. */
        boolean insideAggregate(int index) {
            if (!aggregated(index)) {
                return false;
            }
            long sub = ((Position.Sequence) records.get(index).position()).subSequence();
            return sub > 0 || sub < puts.get(records.get(index).put()).users() - 1;
        }

        private Rec add(String key, int keySeq, Position position, int put) {
            Rec rec = new Rec(unit, records.size(), key, keySeq, position, loop.now(), put);
            records.add(rec);
            indexes.put(position, rec.index());
            return rec;
        }
    }

    private final SimLoop loop;
    final Map<UnitId, Log> logs = new LinkedHashMap<>();
    private final Map<String, Integer> keySeq = new LinkedHashMap<>();
    private final Map<String, Integer> keyHash = new LinkedHashMap<>();
    private final Map<String, UnitId> keyPartition = new LinkedHashMap<>();
    private long kinesisSequence = 49_000_000_000L;
    private int shards;
    private int partitions;
    /** Told where each unit was first opened. */
    java.util.function.Consumer<Log> onFirstOpen = log -> { };
    /** The probability that a fetch fails (a throttled or failed read). */
    double failingReads;
    /** Told as a unit's reader opens, with the position it resumes after: a fault may strike then. */
    java.util.function.BiConsumer<Log, Optional<Position>> beforeOpen = (log, resume) -> { };
    /** Told of each trim: the log and the records' indexes trimmed, from inclusive, to exclusive. */
    TrimListener onTrim = (log, from, to) -> { };
    /** The share of Kinesis puts that are KPL aggregates, drawn per run: plain records dominate some runs. */
    final double aggregatedShare;
    /** The shard a split closed last, which the producer's stale map still aggregates for until {@link #staleUntil}. */
    private Log staleParent;
    private Instant staleUntil = Instant.MIN;
    /** KPL aggregates put; user records put again because their aggregate landed outside their key's shard. */
    int aggregatesPut;
    int reputs;
    /** User records outside their shard's range that production's reader dropped and counted. */
    long droppedOutsideRange;
    /** Kinesis reads that started inside an aggregate: at a user record with others of its aggregate on either side. */
    int resumesInsideAggregates;
    /** Told of what production's reader did wrong, as a violation. */
    java.util.function.Consumer<String> violation = what -> { };
    /** Kinesis retention trims and Kafka truncations so far. */
    int trims;
    int truncations;
    /** Reads that skipped records no longer retained, each reported to the unit as production's adapters do. */
    int skipsReported;
    /** Reads that went on past trimmed records before they had a record position: production cannot tell, nor report. */
    int skipsUnpositioned;

    /** Hears of records trimmed from a log. */
    interface TrimListener {
        void trimmed(Log log, int from, int to);
    }

    SimStreams(SimLoop loop, int partitions, int shards) {
        this.loop = loop;
        // A third of the runs aggregate little (under 10 %), the rest up to 90 %.
        this.aggregatedShare = loop.random.nextInt(3) == 0 ? loop.random.nextDouble() * 0.1
                : 0.1 + loop.random.nextDouble() * 0.8;
        for (int i = 0; i < partitions; i++) {
            addPartition();
        }
        int width = HASHES / Math.max(1, shards);
        for (int i = 0; i < shards; i++) {
            addShard(List.of(), i * width, i == shards - 1 ? HASHES - 1 : (i + 1) * width - 1);
        }
    }

    UnitId addPartition() {
        UnitId unit = UnitId.kafka(TOPIC, partitions++);
        logs.put(unit, new Log(unit, List.of(), 0, 0));
        return unit;
    }

    private UnitId addShard(List<UnitId> parents, int from, int to) {
        UnitId unit = UnitId.kinesis(STREAM, String.format("shardId-%012d", shards++));
        logs.put(unit, new Log(unit, parents, from, to));
        return unit;
    }

    /** Splits an open shard in two halves of its hash range; false when none can be split. */
    boolean split() {
        List<Log> open = logs.values().stream().filter(l -> l.unit.kind() == SourceKind.KINESIS && !l.closed
                && l.toHash > l.fromHash).toList();
        if (open.isEmpty()) {
            return false;
        }
        Log parent = open.get(loop.random.nextInt(open.size()));
        parent.closed = true;
        int middle = (parent.fromHash + parent.toHash) / 2;
        UnitId left = addShard(List.of(parent.unit), parent.fromHash, middle);
        UnitId right = addShard(List.of(parent.unit), middle + 1, parent.toHash);
        // The producer's shard map lags the split for up to 2.5 s: its aggregates for the parent straddle the children.
        staleParent = parent;
        staleUntil = loop.now().plusMillis(loop.random.nextInt(2500));
        loop.trace.add(loop.now(), "streams", "FAULT split " + parent.unit + " into " + left + " and " + right);
        return true;
    }

    /** Merges two open shards with adjacent hash ranges; false when no two are adjacent. */
    boolean merge() {
        List<Log> open = logs.values().stream().filter(l -> l.unit.kind() == SourceKind.KINESIS && !l.closed).toList();
        for (Log a : open) {
            for (Log b : open) {
                if (a.toHash + 1 == b.fromHash) {
                    a.closed = true;
                    b.closed = true;
                    UnitId child = addShard(List.of(a.unit, b.unit), a.fromHash, b.toHash);
                    loop.trace.add(loop.now(), "streams", "FAULT merge " + a.unit + " and " + b.unit + " into " + child);
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Moves the oldest retained record of one unit already read up: Kinesis retention trims a
     * shard, Kafka retention or DeleteRecords moves a partition's log start. Units never read are
     * left alone (their first start would skip the trimmed records unreported, in production too,
     * since TRIM_HORIZON means the oldest record retained). False when no unit has records to trim.
     */
    boolean trim() {
        List<Log> trimmable = logs.values().stream()
                .filter(l -> l.firstOpenIndex >= 0 && l.trimmedTo < l.records.size()).toList();
        if (trimmable.isEmpty()) {
            return false;
        }
        Log log = trimmable.get(loop.random.nextInt(trimmable.size()));
        // Half the time everything so far: a reader that lags at all, or a unit nobody reads now, loses records.
        trim(log, loop.random.nextBoolean() ? log.records.size()
                : log.trimmedTo + 1 + loop.random.nextInt(log.records.size() - log.trimmedTo));
        return true;
    }

    /**
     * Retention removes the records of {@code log} before index {@code to}; on Kinesis, whole Kinesis
     * records: an aggregate that {@code to} falls inside goes with all its user records.
     */
    void trim(Log log, int to) {
        int from = log.trimmedTo;
        boolean kafka = log.unit.kind() == SourceKind.KAFKA;
        if (!kafka && to < log.records.size()) {
            Put put = log.puts.get(log.records.get(to).put());
            to = put.first() == to ? to : put.first() + put.count();
        }
        log.trimmedTo = to;
        if (!kafka) {
            log.trimmedPuts = to < log.records.size() ? log.records.get(to).put() : log.puts.size();
        }
        if (kafka) {
            truncations++;
        } else {
            trims++;
        }
        loop.trace.add(loop.now(), "streams", "FAULT " + (kafka ? "truncate " : "retention trims ") + log.unit
                + ": records #" + from + " to #" + (to - 1) + " gone, the oldest retained is #" + to + " of "
                + log.records.size());
        onTrim.trimmed(log, from, to);
    }

    /**
     * Produces one record of a random key to the partition or shard the key belongs to; on Kinesis,
     * a share of the puts (drawn per run) are KPL aggregates of several user records.
     */
    void produce(int keys) {
        boolean kinesis = loop.random.nextBoolean();
        if (kinesis && loop.random.nextDouble() < aggregatedShare) {
            produceAggregate(keys);
            return;
        }
        String key = (kinesis ? "k" : "p") + loop.random.nextInt(keys);
        int seq = keySeq.merge(key, 1, Integer::sum);
        if (kinesis) {
            Log log = owner(hashOf(key));
            BigInteger sequence = BigInteger.valueOf(++kinesisSequence);
            Rec rec = log.add(key, seq, new Position.Sequence(sequence, 0), log.puts.size());
            log.puts.add(new Put(rec.index(), 1, 1, kinesisRecord(sequence, key, data(key, seq)), List.of()));
        } else {
            // A key keeps its partition: partitions added later take new keys only.
            UnitId partition = keyPartition.computeIfAbsent(key, k -> newestPartitionFor(k));
            Log log = logs.get(partition);
            log.add(key, seq, new Position.Offset(log.records.size() + 1L), -1);
        }
    }

    /**
     * The KPL aggregates the user records its shard map places in one shard, and puts the aggregate
     * with the first one's hash key. A map made stale by a split still places them in the parent: the
     * aggregate lands on the child that owns the first, and the KPL, told which shard took it, puts
     * the user records outside that child's range again, to the shards that own them (the reader of
     * the first child drops its copies). The simulated KPL hears at once: nothing of the same key is
     * put in between (see docs/testing.md).
     */
    private void produceAggregate(int keys) {
        String first = "k" + loop.random.nextInt(keys);
        int firstHash = hashOf(first);
        Log predicted = staleParent != null && loop.now().isBefore(staleUntil)
                && staleParent.fromHash <= firstHash && firstHash <= staleParent.toHash ? staleParent : owner(firstHash);
        List<String> sameShard = new ArrayList<>();
        for (int i = 0; i < keys; i++) {
            int hash = hashOf("k" + i);
            if (predicted.fromHash <= hash && hash <= predicted.toHash) {
                sameShard.add("k" + i);
            }
        }
        int users = 2 + loop.random.nextInt(5);
        List<String> userKeys = new ArrayList<>(List.of(first));
        while (userKeys.size() < users) {
            userKeys.add(sameShard.get(loop.random.nextInt(sameShard.size())));
        }
        Log log = owner(firstHash);
        BigInteger sequence = BigInteger.valueOf(++kinesisSequence);
        int put = log.puts.size();
        List<KplAggregation.UserRecord> aggregate = new ArrayList<>();
        List<Outside> outside = new ArrayList<>();
        int firstIndex = log.records.size();
        for (int sub = 0; sub < users; sub++) {
            String key = userKeys.get(sub);
            int seq = keySeq.merge(key, 1, Integer::sum);
            int hash = hashOf(key);
            aggregate.add(new KplAggregation.UserRecord(key, Optional.of(explicitHashKey(hash)), data(key, seq)));
            Position.Sequence position = new Position.Sequence(sequence, sub);
            if (log.fromHash <= hash && hash <= log.toHash) {
                log.add(key, seq, position, put);
            } else {
                outside.add(new Outside(key, seq, position, null));
            }
        }
        aggregatesPut++;
        byte[] bytes = KplAggregates.aggregate(aggregate);
        if (outside.isEmpty()) {
            log.puts.add(new Put(firstIndex, log.records.size() - firstIndex, users, kinesisRecord(sequence, first, bytes),
                    List.of()));
            return;
        }
        loop.trace.add(loop.now(), "streams", "an aggregate for " + predicted.unit + " landed on " + log.unit + " with "
                + outside.size() + " of its " + users + " user records outside its range: the KPL puts them again");
        // Put again, aggregated anew for the shard that owns each (the KPL's map is fresh now).
        Map<Log, List<Outside>> byOwner = new LinkedHashMap<>();
        outside.forEach(o -> byOwner.computeIfAbsent(owner(hashOf(o.key())), l -> new ArrayList<>()).add(o));
        List<Outside> reput = new ArrayList<>();
        byOwner.forEach((owner, again) -> {
            BigInteger againSequence = BigInteger.valueOf(++kinesisSequence);
            int againPut = owner.puts.size();
            int againFirst = owner.records.size();
            List<KplAggregation.UserRecord> againUsers = new ArrayList<>();
            for (int sub = 0; sub < again.size(); sub++) {
                Outside o = again.get(sub);
                againUsers.add(new KplAggregation.UserRecord(o.key(), Optional.of(explicitHashKey(hashOf(o.key()))),
                        data(o.key(), o.keySeq())));
                Rec copy = owner.add(o.key(), o.keySeq(), new Position.Sequence(againSequence, sub), againPut);
                reput.add(new Outside(o.key(), o.keySeq(), o.position(), copy));
            }
            byte[] againBytes = again.size() == 1 ? againUsers.get(0).data() : KplAggregates.aggregate(againUsers);
            owner.puts.add(new Put(againFirst, again.size(), again.size(),
                    kinesisRecord(againSequence, again.get(0).key(), againBytes), List.of()));
            aggregatesPut += again.size() > 1 ? 1 : 0;
        });
        log.puts.add(new Put(firstIndex, log.records.size() - firstIndex, users, kinesisRecord(sequence, first, bytes),
                List.copyOf(reput)));
        reputs += reput.size();
    }

    private Log owner(int hash) {
        return logs.values().stream().filter(l -> l.unit.kind() == SourceKind.KINESIS && !l.closed
                && l.fromHash <= hash && hash <= l.toHash).findFirst().orElseThrow();
    }

    private int hashOf(String key) {
        return keyHash.computeIfAbsent(key, k -> loop.random.nextInt(HASHES));
    }

    /** The explicit hash key the producer gives the key's user records in aggregates. */
    String explicitHashKeyOf(String key) {
        return explicitHashKey(keyHash.get(key));
    }

    private static String explicitHashKey(int hash) {
        return BigInteger.valueOf(hash).shiftLeft(HASH_SHIFT).toString();
    }

    private static byte[] data(String key, int seq) {
        return (key + "#" + seq).getBytes(StandardCharsets.UTF_8);
    }

    private software.amazon.awssdk.services.kinesis.model.Record kinesisRecord(BigInteger sequence, String key,
                                                                                byte[] data) {
        return software.amazon.awssdk.services.kinesis.model.Record.builder().sequenceNumber(sequence.toString())
                .partitionKey(key).data(software.amazon.awssdk.core.SdkBytes.fromByteArray(data))
                .approximateArrivalTimestamp(loop.now()).build();
    }

    private UnitId newestPartitionFor(String key) {
        List<UnitId> all = logs.keySet().stream().filter(u -> u.kind() == SourceKind.KAFKA).toList();
        return all.get(loop.random.nextInt(all.size()));
    }

    /** The key's records produced so far, oldest first, across every unit. */
    List<Rec> recordsOf(String key) {
        List<Rec> found = new ArrayList<>();
        logs.values().forEach(log -> log.records.stream().filter(r -> r.key.equals(key)).forEach(found::add));
        found.sort(java.util.Comparator.comparingInt(Rec::keySeq));
        return found;
    }

    /** Every stream's units, and each unit's first start from its own stream, as a worker's combined discovery. */
    UnitDiscovery discovery() {
        List<SourceBinding> bindings = bindings();
        return new UnitDiscovery() {
            @Override
            public List<UnitSpec> discover() {
                List<UnitSpec> all = new ArrayList<>();
                bindings.forEach(b -> all.addAll(b.discovery().discover()));
                return all;
            }

            @Override
            public Optional<Position> firstStart(UnitId unit) {
                return bindings.get(0).discovery().firstStart(unit);
            }
        };
    }

    /** How the workers see the streams: discovery and sources, as production's bindings. */
    List<SourceBinding> bindings() {
        return List.of(binding(SourceKind.KAFKA, TOPIC), binding(SourceKind.KINESIS, STREAM));
    }

    private SourceBinding binding(SourceKind kind, String stream) {
        UnitDiscovery discovery = new UnitDiscovery() {
            @Override
            public List<UnitSpec> discover() {
                return logs.values().stream().filter(l -> l.unit.kind() == kind)
                        .map(l -> new UnitSpec(l.unit, l.parents, UnitSpec.DEFAULT_WEIGHT)).toList();
            }

            @Override
            public Optional<Position> firstStart(UnitId unit) {
                // The default initialPosition, LATEST, resolved once as production resolves it.
                return Optional.of(new Position.AtTimestamp(loop.now().minusSeconds(1)));
            }
        };
        return new SourceBinding(kind, stream, discovery, (unit, resumeAfter) -> {
            beforeOpen.accept(logs.get(unit), resumeAfter);
            Log log = logs.get(unit);
            return kind == SourceKind.KINESIS ? new SimShardSource(this, loop, log, resumeAfter) : new Source(log, resumeAfter);
        });
    }

    /** A partition's reader: from where the claim says, a batch per fetch. (A shard's: {@link SimShardSource}.) */
    private final class Source implements RecordSource {
        private final Log log;
        private int next;
        /** Why the next fetch skipped records, as production's adapters report it, until it is handed over. */
        private String notRetained;
        /**
         * Whether the read is at a record position: it resumed from one or returned a record. Until then
         * production resolves TRIM_HORIZON, LATEST or a timestamp when it first reads, at the records retained then.
         */
        private boolean positioned;

        Source(Log log, Optional<Position> resumeAfter) {
            this.log = log;
            this.positioned = resumeAfter.filter(Position::isRecordPosition).isPresent();
            this.next = start(resumeAfter.orElse(Position.LATEST));
            if (log.firstOpenIndex < 0) {
                log.firstOpenIndex = next;
                onFirstOpen.accept(log);
            }
        }

        private int start(Position from) {
            if (from instanceof Position.TrimHorizon) {
                return log.trimmedTo;
            }
            if (from instanceof Position.Latest) {
                return log.records.size();
            }
            if (from instanceof Position.AtTimestamp at) {
                int i = log.trimmedTo;
                while (i < log.records.size() && log.records.get(i).arrival().isBefore(at.timestamp())) {
                    i++;
                }
                return i;
            }
            if (from instanceof Position.Offset offset) {
                // Kafka's position is the next offset to read: Offset(0) before the first record.
                int at = (int) offset.nextOffset();
                if (at < log.trimmedTo) {
                    // The consumer (auto.offset.reset=none) hears OffsetOutOfRange, seeks to the log start and says so.
                    return skipTo("offset " + at + " is no longer retained by Kafka");
                }
                return at;
            }
            throw new IllegalStateException(log.unit + " has no record at " + from);
        }

        private int skipTo(String why) {
            notRetained = why;
            return log.trimmedTo;
        }

        @Override
        public Fetch fetch() {
            if (loop.random.nextDouble() < failingReads) {
                return Fetch.failed(Duration.ofMillis(200), "simulated read failure");
            }
            if (next < log.trimmedTo && !positioned) {
                skipsUnpositioned++;
                loop.trace.add(loop.now(), "streams", log.unit + ": a read not yet positioned goes on at #" + log.trimmedTo
                        + ", as TRIM_HORIZON or a timestamp resolves when first read (not reported)");
                next = log.trimmedTo;
            } else if (next < log.trimmedTo) {
                // The fetch position fell out of range.
                next = skipTo("offset " + next + " is no longer retained by Kafka");
            }
            int until = Math.min(log.records.size(), next + BATCH);
            List<StreamRecord> batch = new ArrayList<>();
            for (int i = next; i < until; i++) {
                Rec rec = log.records.get(i);
                batch.add(new StreamRecord(log.unit, rec.position(), rec.key(),
                        (rec.key() + "#" + rec.keySeq()).getBytes(StandardCharsets.UTF_8), rec.arrival()));
            }
            next = until;
            positioned |= !batch.isEmpty();
            boolean end = log.closed && next == log.records.size();
            Optional<String> skipped = Optional.ofNullable(notRetained);
            if (notRetained != null) {
                skipsReported++;
                loop.trace.add(loop.now(), "streams", log.unit + ": a read skipped to #" + (next - batch.size())
                        + ", reported to the unit: " + notRetained);
                notRetained = null;
            }
            return new Fetch(batch, OptionalLong.empty(), OptionalLong.of(log.records.size() - next), end, Optional.empty(),
                    Optional.empty(), 0, skipped);
        }

        @Override
        public Duration nextDelay(Fetch last) {
            return last.records().isEmpty() ? Duration.ofSeconds(1) : Duration.ofMillis(10);
        }

        @Override
        public void close() {
        }
    }
}
