package dev.streamfleet.core;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One unit of work: a Kinesis shard or a Kafka partition. Written as
 * {@code kinesis/<stream>/<shardId>} or {@code kafka/<topic>/<partition>}.
 *
 * @param kind   where the records come from
 * @param stream the Kinesis stream or Kafka topic
 * @param shard  the Kinesis shard id or the Kafka partition number
 */
@PublicApi
public record UnitId(SourceKind kind, String stream, String shard) implements Comparable<UnitId> {

    /** Kinesis stream names and Kafka topic names share this alphabet; neither allows '/'. */
    private static final Pattern STREAM = Pattern.compile("[A-Za-z0-9._-]{1,249}");
    private static final Pattern KINESIS_SHARD = Pattern.compile("[A-Za-z0-9_.-]{1,128}");
    private static final Pattern KAFKA_PARTITION = Pattern.compile("0|[1-9][0-9]{0,9}");

    public UnitId {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(shard, "shard");
        if (!STREAM.matcher(stream).matches()) {
            throw new IllegalArgumentException("invalid stream or topic name '" + stream + "'");
        }
        Pattern shardPattern = kind == SourceKind.KINESIS ? KINESIS_SHARD : KAFKA_PARTITION;
        if (!shardPattern.matcher(shard).matches() || kind == SourceKind.KAFKA && Long.parseLong(shard) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("invalid " + (kind == SourceKind.KINESIS ? "shard id" : "partition")
                    + " '" + shard + "' in " + kind.id() + "/" + stream);
        }
    }

    public static UnitId kinesis(String stream, String shardId) {
        return new UnitId(SourceKind.KINESIS, stream, shardId);
    }

    public static UnitId kafka(String topic, int partition) {
        return new UnitId(SourceKind.KAFKA, topic, Integer.toString(partition));
    }

    /** Parses {@code kinesis/<stream>/<shardId>} or {@code kafka/<topic>/<partition>}. */
    public static UnitId parse(String id) {
        String[] parts = id.split("/", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("invalid unit id '" + id
                    + "' (expected kinesis/<stream>/<shardId> or kafka/<topic>/<partition>)");
        }
        return new UnitId(SourceKind.fromId(parts[0]), parts[1], parts[2]);
    }

    /**
     * From the kind's name rather than the enum constant's identity, so that a unit hashes alike in
     * every run: hash maps of units then iterate in the same order each time, and a seeded
     * simulation of the fleet replays exactly in another JVM.
     */
    @Override
    public int hashCode() {
        return (kind.name().hashCode() * 31 + stream.hashCode()) * 31 + shard.hashCode();
    }

    /** Orders by kind, then stream, then shard, without building strings. */
    @Override
    public int compareTo(UnitId other) {
        int byKind = kind.id().compareTo(other.kind.id());
        if (byKind != 0) {
            return byKind;
        }
        int byStream = stream.compareTo(other.stream);
        return byStream != 0 ? byStream : shard.compareTo(other.shard);
    }

    @Override
    public String toString() {
        return kind.id() + "/" + stream + "/" + shard;
    }
}
