package dev.streamfleet.core;

import java.math.BigInteger;
import java.time.Instant;
import java.util.Objects;

/**
 * Where a unit has been processed up to, or where it should start.
 *
 * <p>A <em>record position</em> names the last processed record: a Kinesis sequence number
 * (with the sub-sequence of a user record inside a KPL aggregate) or a Kafka next offset. A
 * <em>starting point</em> ({@link TrimHorizon}, {@link Latest}, {@link AtTimestamp}) names where
 * a unit without a record position begins; an operator's reset can store one.
 */
@PublicApi
public sealed interface Position {

    /** Whether this names a processed record rather than a starting point. */
    boolean isRecordPosition();

    /**
     * The last processed Kinesis record. Sequence numbers have up to 129 digits and are compared
     * as numbers, never as strings.
     *
     * @param sequenceNumber the record's sequence number
     * @param subSequence    the user record inside a KPL aggregate, or 0 for the whole record
     */
    record Sequence(BigInteger sequenceNumber, long subSequence) implements Position, Comparable<Sequence> {

        /** The smallest number with more digits than a sequence number may have. */
        private static final BigInteger SEQUENCE_LIMIT = BigInteger.TEN.pow(PositionCodec.MAX_SEQUENCE_DIGITS);
        private static final int SEQUENCE_LIMIT_BITS = SEQUENCE_LIMIT.bitLength();

        public Sequence {
            Objects.requireNonNull(sequenceNumber, "sequenceNumber");
            if (sequenceNumber.signum() < 0) {
                throw new IllegalArgumentException("a sequence number cannot be negative: " + sequenceNumber);
            }
            // Compared with 10^129 rather than by counting digits: toString() divides, and this runs per record.
            if (sequenceNumber.bitLength() >= SEQUENCE_LIMIT_BITS && sequenceNumber.compareTo(SEQUENCE_LIMIT) >= 0) {
                throw new IllegalArgumentException("a sequence number has at most " + PositionCodec.MAX_SEQUENCE_DIGITS
                        + " digits");
            }
            if (subSequence < 0) {
                throw new IllegalArgumentException("a sub-sequence number cannot be negative: " + subSequence);
            }
        }

        public static Sequence of(String sequenceNumber) {
            return new Sequence(new BigInteger(sequenceNumber), 0);
        }

        @Override
        public boolean isRecordPosition() {
            return true;
        }

        @Override
        public int compareTo(Sequence other) {
            int bySequence = sequenceNumber.compareTo(other.sequenceNumber);
            return bySequence != 0 ? bySequence : Long.compare(subSequence, other.subSequence);
        }
    }

    /** The next Kafka offset to read, as Kafka commits it. */
    record Offset(long nextOffset) implements Position, Comparable<Offset> {
        public Offset {
            if (nextOffset < 0) {
                throw new IllegalArgumentException("an offset cannot be negative: " + nextOffset);
            }
        }

        @Override
        public boolean isRecordPosition() {
            return true;
        }

        @Override
        public int compareTo(Offset other) {
            return Long.compare(nextOffset, other.nextOffset);
        }
    }

    /** Start at the oldest record still retained. */
    record TrimHorizon() implements Position {
        @Override
        public boolean isRecordPosition() {
            return false;
        }
    }

    /** Start after the newest record, with what arrives from now on. */
    record Latest() implements Position {
        @Override
        public boolean isRecordPosition() {
            return false;
        }
    }

    /** Start at the first record that arrived at or after an instant. */
    record AtTimestamp(Instant timestamp) implements Position {
        public AtTimestamp {
            Objects.requireNonNull(timestamp, "timestamp");
        }

        @Override
        public boolean isRecordPosition() {
            return false;
        }
    }

    Position TRIM_HORIZON = new TrimHorizon();
    Position LATEST = new Latest();
}
