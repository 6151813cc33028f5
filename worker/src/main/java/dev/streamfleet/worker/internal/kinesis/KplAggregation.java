package dev.streamfleet.worker.internal.kinesis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;

/**
 * Reads records written by the Kinesis Producer Library's aggregation: a magic prefix
 * {@code F3 89 9A C2}, a protobuf {@code AggregatedRecord}, and the MD5 of that protobuf.
 *
 * <pre>
 * message AggregatedRecord { repeated string partition_key_table = 1; repeated string explicit_hash_key_table = 2;
 *                            repeated Record records = 3; }
 * message Record { required uint64 partition_key_index = 1; optional uint64 explicit_hash_key_index = 2;
 *                  required bytes data = 3; repeated Tag tags = 4; }
 * </pre>
 *
 * A record without the prefix, with a wrong checksum or with a body that does not parse is
 * an ordinary record and is delivered as it is, as the KPL's own readers do.
 */
public final class KplAggregation {

    static final byte[] MAGIC = {(byte) 0xF3, (byte) 0x89, (byte) 0x9A, (byte) 0xC2};
    private static final int MD5_LENGTH = 16;

    private KplAggregation() {
    }

    /** One user record inside an aggregate; the explicit hash key when its producer gave one. */
    public record UserRecord(String partitionKey, Optional<String> explicitHashKey, byte[] data) {

        /** Without an explicit hash key. */
        public UserRecord(String partitionKey, byte[] data) {
            this(partitionKey, Optional.empty(), data);
        }
    }

    /** The user records of an aggregated record, or empty when {@code data} is an ordinary record. */
    public static Optional<List<UserRecord>> deaggregate(byte[] data) {
        return userRecords(data).map(users -> {
            List<UserRecord> all = new ArrayList<>();
            users.forEachRemaining(all::add);
            return all;
        });
    }

    /**
     * The user records of an aggregated record one at a time, or empty when {@code data} is an
     * ordinary record. Every user record is checked before the first is returned (a malformed one
     * makes the whole record ordinary), but each is built only when it is asked for: a 1 MB
     * aggregate holds some 150,000 user records of one byte, and a reader that takes them in
     * slices keeps only {@code data} and its place in it, not an object for each.
     */
    public static Optional<Iterator<UserRecord>> userRecords(byte[] data) {
        if (data.length < MAGIC.length + MD5_LENGTH || !Arrays.equals(data, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            return Optional.empty();
        }
        int bodyEnd = data.length - MD5_LENGTH;
        if (!Arrays.equals(md5(data, MAGIC.length, bodyEnd), 0, MD5_LENGTH, data, bodyEnd, data.length)) {
            return Optional.empty();
        }
        try {
            return Optional.of(new UserRecords(data, MAGIC.length, bodyEnd));
        } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
            return Optional.empty();
        }
    }

    static byte[] md5(byte[] body) {
        return md5(body, 0, body.length);
    }

    private static byte[] md5(byte[] bytes, int from, int to) {
        try {
            MessageDigest digest = MessageDigest.getInstance("MD5");
            digest.update(bytes, from, to - from);
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no MD5", e);
        }
    }

    /** The records of an {@code AggregatedRecord} body, built as they are taken, in order. */
    private static final class UserRecords implements Iterator<UserRecord> {
        private final byte[] bytes;
        private final List<String> keys = new ArrayList<>();
        private final List<String> hashKeys = new ArrayList<>();
        /** At the field after the last record returned. */
        private final Reader cursor;
        private UserRecord next;

        /** Reads the key tables and checks every record against them, copying no data. */
        UserRecords(byte[] bytes, int from, int end) {
            this.bytes = bytes;
            Reader tables = new Reader(bytes, from, end);
            while (tables.hasMore()) {
                long tag = tables.varint();
                int field = (int) (tag >>> 3);
                int wire = (int) (tag & 7);
                if (field == 1 && wire == 2) {
                    keys.add(new String(tables.bytes(), StandardCharsets.UTF_8));
                } else if (field == 2 && wire == 2) {
                    hashKeys.add(new String(tables.bytes(), StandardCharsets.UTF_8));
                } else {
                    tables.skipField(wire);
                }
            }
            Reader records = new Reader(bytes, from, end);
            while (records.hasMore()) {
                long tag = records.varint();
                if ((tag >>> 3) == 3 && (tag & 7) == 2) {
                    int length = records.length();
                    record(new Reader(bytes, records.position(), records.position() + length), false);
                    records.skip(length);
                } else {
                    records.skipField((int) (tag & 7));
                }
            }
            this.cursor = new Reader(bytes, from, end);
            this.next = advance();
        }

        @Override
        public boolean hasNext() {
            return next != null;
        }

        @Override
        public UserRecord next() {
            if (next == null) {
                throw new NoSuchElementException();
            }
            UserRecord current = next;
            next = advance();
            return current;
        }

        private UserRecord advance() {
            while (cursor.hasMore()) {
                long tag = cursor.varint();
                if ((tag >>> 3) == 3 && (tag & 7) == 2) {
                    int length = cursor.length();
                    UserRecord record = record(new Reader(bytes, cursor.position(), cursor.position() + length), true);
                    cursor.skip(length);
                    return record;
                }
                cursor.skipField((int) (tag & 7));
            }
            return null;
        }

        /** One {@code Record}; with {@code withData} false only checked, and null. */
        private UserRecord record(Reader in, boolean withData) {
            long keyIndex = -1;
            long hashKeyIndex = -1;
            byte[] data = null;
            boolean hasData = false;
            while (in.hasMore()) {
                long tag = in.varint();
                int field = (int) (tag >>> 3);
                int wire = (int) (tag & 7);
                if (field == 1 && wire == 0) {
                    keyIndex = in.varint();
                } else if (field == 2 && wire == 0) {
                    hashKeyIndex = in.varint();
                } else if (field == 3 && wire == 2) {
                    if (withData) {
                        data = in.bytes();
                    } else {
                        in.skip(in.length());
                    }
                    hasData = true;
                } else {
                    in.skipField(wire);
                }
            }
            if (keyIndex < 0 || keyIndex >= keys.size() || !hasData) {
                throw new IllegalArgumentException("aggregated record without a valid partition key index or data");
            }
            if (hashKeyIndex >= hashKeys.size()) {
                throw new IllegalArgumentException("aggregated record with an explicit hash key index beyond its table");
            }
            if (!withData) {
                return null;
            }
            Optional<String> hashKey = hashKeyIndex < 0 ? Optional.empty() : Optional.of(hashKeys.get((int) hashKeyIndex));
            return new UserRecord(keys.get((int) keyIndex), hashKey, data);
        }
    }

    /** A protobuf wire-format reader over a slice of bytes. */
    private static final class Reader {
        private final byte[] bytes;
        private final int end;
        private int at;

        Reader(byte[] bytes, int from, int end) {
            this.bytes = bytes;
            this.at = from;
            this.end = end;
        }

        boolean hasMore() {
            return at < end;
        }

        int position() {
            return at;
        }

        long varint() {
            long value = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (at >= end) {
                    throw new IllegalArgumentException("truncated varint");
                }
                byte b = bytes[at++];
                value |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return value;
                }
            }
            throw new IllegalArgumentException("varint too long");
        }

        int length() {
            long length = varint();
            if (length < 0 || length > end - at) {
                throw new IllegalArgumentException("length beyond the message");
            }
            return (int) length;
        }

        byte[] bytes() {
            int length = length();
            byte[] value = Arrays.copyOfRange(bytes, at, at + length);
            at += length;
            return value;
        }

        void skip(int length) {
            at += length;
        }

        void skipField(int wire) {
            switch (wire) {
                case 0 -> varint();
                case 1 -> skipFixed(8);
                case 2 -> skip(length());
                case 5 -> skipFixed(4);
                default -> throw new IllegalArgumentException("unsupported wire type " + wire);
            }
        }

        private void skipFixed(int length) {
            if (end - at < length) {
                throw new IllegalArgumentException("truncated field");
            }
            at += length;
        }
    }
}
