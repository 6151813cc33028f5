package dev.streamfleet.worker.internal.kinesis;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Writes KPL-format aggregated records for tests, as the Kinesis Producer Library would. */
public final class KplAggregates {

    private KplAggregates() {
    }

    /** One aggregated record holding {@code records}, each a partition key, its explicit hash key if any, and its data. */
    public static byte[] aggregate(List<KplAggregation.UserRecord> records) {
        List<String> keys = new ArrayList<>();
        List<String> hashKeys = new ArrayList<>();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (KplAggregation.UserRecord record : records) {
            if (!keys.contains(record.partitionKey())) {
                keys.add(record.partitionKey());
            }
            record.explicitHashKey().filter(key -> !hashKeys.contains(key)).ifPresent(hashKeys::add);
        }
        for (String key : keys) {
            field(body, 1, key.getBytes(StandardCharsets.UTF_8));
        }
        for (String key : hashKeys) {
            field(body, 2, key.getBytes(StandardCharsets.UTF_8));
        }
        for (KplAggregation.UserRecord record : records) {
            ByteArrayOutputStream inner = new ByteArrayOutputStream();
            varint(inner, 1 << 3);
            varint(inner, keys.indexOf(record.partitionKey()));
            if (record.explicitHashKey().isPresent()) {
                varint(inner, 2 << 3);
                varint(inner, hashKeys.indexOf(record.explicitHashKey().get()));
            }
            field(inner, 3, record.data());
            field(body, 3, inner.toByteArray());
        }
        byte[] protobuf = body.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(KplAggregation.MAGIC);
        out.writeBytes(protobuf);
        out.writeBytes(KplAggregation.md5(protobuf));
        return out.toByteArray();
    }

    private static void field(ByteArrayOutputStream out, int number, byte[] value) {
        varint(out, (number << 3) | 2);
        varint(out, value.length);
        out.writeBytes(value);
    }

    private static void varint(ByteArrayOutputStream out, long value) {
        while ((value & ~0x7FL) != 0) {
            out.write((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
    }
}
