package dev.streamfleet.core;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;

/**
 * The records of a unit finished beyond its watermark, when records are processed out of order.
 * A record is named by its ordinal after the watermark: 0 is the first record after it. For Kafka
 * the ordinal is the record's offset minus the watermark's next offset; for Kinesis it is the
 * record's index among the records (KPL sub-records counted one by one) read after the
 * watermark's sequence number. Both name the same record on every read (docs/design.md §10).
 *
 * <p>Held as sorted, disjoint ranges of ordinals and written as a short string: for each range,
 * the gap since the previous one and its length, as unsigned varints, in URL-safe base64.
 * Immutable.
 *
 * <p>A Kinesis set also names the record its ordinal 0 stands for ({@link #first()}): counting is
 * only right when the first record read after the watermark is that one. When it is not (the
 * records after the watermark were trimmed away, or the shard holds other records than the set
 * was counted over), the set is ignored rather than applied to other records.
 */
public final class FinishedBeyond {

    /**
     * The version of the rules that number records after a watermark (Kafka offsets; Kinesis
     * records counted one by one after KPL de-aggregation, with the user records outside the
     * shard's hash-key range dropped). Stored with every set; a set of another version is not
     * trusted. Raise it whenever those rules change: version 1 counted out-of-range KPL user
     * records that version 2 drops; version 3 stores the position of the record ordinal 0 names.
     */
    public static final int ORDINALS_VERSION = 3;

    /**
     * No writer names a record further after its watermark than this: a unit keeps at most
     * 10 × {@code processing.maxInFlight} records after it, and the worker refuses a
     * {@code maxInFlight} above a tenth of this. A stored set that reaches further is damaged or
     * forged, and is not trusted.
     */
    public static final long MAX_END = 100_000_000L;

    /** One range of finished ordinals, {@code start} to {@code end} exclusive. */
    @FunctionalInterface
    public interface Range {
        void accept(long start, long end);
    }

    /** Nothing finished beyond the watermark. */
    public static final FinishedBeyond NONE = new FinishedBeyond(new long[0], null);

    /** Range starts and ends (exclusive), interleaved: start0, end0, start1, end1, … */
    private final long[] bounds;
    /** The record that ordinal 0 names, when known. */
    private final Position first;

    private FinishedBeyond(long[] bounds, Position first) {
        this.bounds = bounds;
        this.first = first;
    }

    /**
     * The same set, with the record its ordinal 0 names: the first record after the watermark.
     * An empty set names none.
     */
    public FinishedBeyond anchoredAt(Position first) {
        if (!first.isRecordPosition()) {
            throw new IllegalArgumentException("ordinal 0 names a record, not " + first);
        }
        return bounds.length == 0 ? NONE : new FinishedBeyond(bounds, first);
    }

    /** The record ordinal 0 names, when the set was counted from a known one. */
    public Optional<Position> first() {
        return Optional.ofNullable(first);
    }

    /** Whether the record with this ordinal is finished. */
    public boolean contains(long ordinal) {
        int low = 0;
        int high = bounds.length / 2 - 1;
        while (low <= high) {
            int middle = (low + high) >>> 1;
            if (ordinal < bounds[2 * middle]) {
                high = middle - 1;
            } else if (ordinal >= bounds[2 * middle + 1]) {
                low = middle + 1;
            } else {
                return true;
            }
        }
        return false;
    }

    public boolean isEmpty() {
        return bounds.length == 0;
    }

    /** How many records are finished. */
    public long count() {
        long count = 0;
        for (int i = 0; i < bounds.length; i += 2) {
            count += bounds[i + 1] - bounds[i];
        }
        return count;
    }

    /** Each range of finished ordinals, in increasing order. */
    public void forEachRange(Range range) {
        for (int i = 0; i < bounds.length; i += 2) {
            range.accept(bounds[i], bounds[i + 1]);
        }
    }

    /** One past the highest finished ordinal; 0 when none is. */
    public long end() {
        return bounds.length == 0 ? 0 : bounds[bounds.length - 1];
    }

    /** The stored form; empty for {@link #NONE}. */
    public String encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long previousEnd = 0;
        for (int i = 0; i < bounds.length; i += 2) {
            varint(out, bounds[i] - previousEnd);
            varint(out, bounds[i + 1] - bounds[i]);
            previousEnd = bounds[i + 1];
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(out.toByteArray());
    }

    /**
     * Reads the stored form.
     *
     * @throws IllegalArgumentException when {@code encoded} is not one
     */
    public static FinishedBeyond decode(String encoded) {
        if (encoded.isEmpty()) {
            return NONE;
        }
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a set of finished records: " + e.getMessage());
        }
        Builder builder = new Builder();
        int[] at = {0};
        long previousEnd = 0;
        while (at[0] < bytes.length) {
            long start = previousEnd + readVarint(bytes, at);
            long length = readVarint(bytes, at);
            if (length <= 0 || (start == previousEnd && previousEnd != 0)) {
                throw new IllegalArgumentException("not a set of finished records: ranges must be non-empty and apart");
            }
            builder.add(start, start + length);
            previousEnd = start + length;
        }
        return builder.build();
    }

    /** Collects finished ordinals in increasing order; adjacent ones join into one range. */
    public static final class Builder {
        private long[] bounds = new long[16];
        private int size;

        /** Adds the ordinals from {@code start} to {@code end}, exclusive; must lie after everything added so far. */
        public Builder add(long start, long end) {
            if (start < 0 || end <= start) {
                throw new IllegalArgumentException("empty or negative range " + start + ".." + end);
            }
            if (size > 0 && start < bounds[size - 1]) {
                throw new IllegalArgumentException("ranges must be added in order: " + start + " after " + bounds[size - 1]);
            }
            if (size > 0 && start == bounds[size - 1]) {
                bounds[size - 1] = end;
                return this;
            }
            if (size + 2 > bounds.length) {
                bounds = Arrays.copyOf(bounds, bounds.length * 2);
            }
            bounds[size++] = start;
            bounds[size++] = end;
            return this;
        }

        /** Adds one ordinal. */
        public Builder add(long ordinal) {
            return add(ordinal, ordinal + 1);
        }

        public FinishedBeyond build() {
            return size == 0 ? NONE : new FinishedBeyond(Arrays.copyOf(bounds, size), null);
        }
    }

    private static void varint(ByteArrayOutputStream out, long value) {
        long rest = value;
        while ((rest & ~0x7FL) != 0) {
            out.write((int) ((rest & 0x7F) | 0x80));
            rest >>>= 7;
        }
        out.write((int) rest);
    }

    private static long readVarint(byte[] bytes, int[] at) {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (at[0] >= bytes.length) {
                throw new IllegalArgumentException("not a set of finished records: it ends inside a number");
            }
            byte b = bytes[at[0]++];
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new IllegalArgumentException("not a set of finished records: a number is too long");
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof FinishedBeyond that && Arrays.equals(bounds, that.bounds)
                && Objects.equals(first, that.first);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(bounds) + Objects.hashCode(first);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("finished beyond the watermark: [");
        for (int i = 0; i < bounds.length; i += 2) {
            text.append(i == 0 ? "" : ", ").append(bounds[i]);
            if (bounds[i + 1] - bounds[i] > 1) {
                text.append("..").append(bounds[i + 1] - 1);
            }
        }
        text.append(']');
        if (first != null) {
            text.append(" counted from ").append(PositionCodec.encode(first));
        }
        return text.toString();
    }
}
