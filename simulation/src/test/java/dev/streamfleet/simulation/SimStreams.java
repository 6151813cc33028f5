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
 * per-key order can be checked across partitions and shards. Retention trims a shard and truncates
 * a partition (its log start moves up); a read whose position is gone goes on at the oldest record
 * retained, and says so as production's adapters do.
 */
final class SimStreams {

    static final String TOPIC = "orders";
    static final String STREAM = "events";
    private static final int HASHES = 1024;
    private static final int BATCH = 10;

    /** One record as produced. */
    record Rec(UnitId unit, int index, String key, int keySeq, Position position, Instant arrival) {
    }

    /** One unit's records, with its lineage and, for a shard, its hash range. */
    final class Log {
        final UnitId unit;
        final List<UnitId> parents;
        final Instant born;
        final int fromHash;
        final int toHash;
        final List<Rec> records = new ArrayList<>();
        boolean closed;
        /** Where the unit was first opened, or -1 before that. */
        int firstOpenIndex = -1;
        /** The oldest record retained: those before it were trimmed (Kinesis) or truncated (Kafka). */
        int trimmedTo;

        Log(UnitId unit, List<UnitId> parents, int fromHash, int toHash) {
            this.unit = unit;
            this.parents = List.copyOf(parents);
            this.born = loop.now();
            this.fromHash = fromHash;
            this.toHash = toHash;
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

    /** Retention removes the records of {@code log} before index {@code to}. */
    void trim(Log log, int to) {
        int from = log.trimmedTo;
        log.trimmedTo = to;
        boolean kafka = log.unit.kind() == SourceKind.KAFKA;
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

    /** Produces one record of a random key to the partition or shard the key belongs to. */
    void produce(int keys) {
        boolean kinesis = loop.random.nextBoolean();
        String key = (kinesis ? "k" : "p") + loop.random.nextInt(keys);
        int seq = keySeq.merge(key, 1, Integer::sum);
        Log log;
        if (kinesis) {
            int hash = keyHash.computeIfAbsent(key, k -> loop.random.nextInt(HASHES));
            log = logs.values().stream().filter(l -> l.unit.kind() == SourceKind.KINESIS && !l.closed
                    && l.fromHash <= hash && hash <= l.toHash).findFirst().orElseThrow();
        } else {
            // A key keeps its partition: partitions added later take new keys only.
            UnitId partition = keyPartition.computeIfAbsent(key, k -> newestPartitionFor(k));
            log = logs.get(partition);
        }
        int index = log.records.size();
        Position position = kinesis ? new Position.Sequence(BigInteger.valueOf(++kinesisSequence), 0)
                : new Position.Offset(index + 1L);
        log.records.add(new Rec(log.unit, index, key, seq, position, loop.now()));
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
            return new Source(logs.get(unit), resumeAfter);
        });
    }

    /** A unit's reader: from where the claim says, a batch per fetch, the end once a closed shard is read. */
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
            for (int i = 0; i < log.records.size(); i++) {
                if (log.records.get(i).position().equals(from)) {
                    if (i < log.trimmedTo) {
                        // AT_SEQUENCE_NUMBER of a trimmed record: Kinesis answers with its oldest record, and the
                        // source sees that the first record is not the one it resumed at.
                        return skipTo("the record at #" + i + " that the read resumed from is no longer in the shard");
                    }
                    return i + 1;
                }
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
                // Kafka: the fetch position fell out of range. Kinesis: the reader lags by the retention
                // period, so its iterator expired (5 minutes) and a new one AT the last record read finds it
                // trimmed. (A live iterator inside trimmed records is not modelled: see docs/testing.md.)
                next = skipTo(log.unit.kind() == SourceKind.KAFKA ? "offset " + next + " is no longer retained by Kafka"
                        : "the record at #" + (next - 1) + " that the read resumed from is no longer in the shard");
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
