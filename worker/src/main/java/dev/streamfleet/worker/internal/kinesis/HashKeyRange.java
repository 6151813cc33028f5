package dev.streamfleet.worker.internal.kinesis;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;

/**
 * The 128-bit hash keys a Kinesis shard owns, both ends included. A record belongs where its hash key
 * falls: the explicit hash key when the producer gave one, else the MD5 of its partition key read as
 * an unsigned number. Pure.
 */
public record HashKeyRange(BigInteger start, BigInteger end) {

    public HashKeyRange {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(end, "end");
        if (start.signum() < 0 || start.compareTo(end) > 0) {
            throw new IllegalArgumentException("not a hash-key range: " + start + " to " + end);
        }
    }

    /** Whether a record with this partition key, and explicit hash key if any, belongs to the shard. */
    public boolean contains(String partitionKey, Optional<String> explicitHashKey) {
        BigInteger hashKey = hashKeyOf(partitionKey, explicitHashKey);
        return hashKey.compareTo(start) >= 0 && hashKey.compareTo(end) <= 0;
    }

    /** The hash key Kinesis routes a record by. An explicit hash key that is not a number routes nowhere here. */
    static BigInteger hashKeyOf(String partitionKey, Optional<String> explicitHashKey) {
        if (explicitHashKey.isPresent()) {
            try {
                return new BigInteger(explicitHashKey.get());
            } catch (NumberFormatException e) {
                return BigInteger.ONE.negate();
            }
        }
        return new BigInteger(1, KplAggregation.md5(partitionKey.getBytes(StandardCharsets.UTF_8)));
    }
}
