package dev.streamfleet.checkpoint.internal.dynamodb;

import dev.streamfleet.checkpoint.CheckpointRules;
import dev.streamfleet.core.Backoff;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the checkpoint table lives and how to talk to it.
 *
 * @param table       the table name; created on first use when missing
 * @param region      the AWS region
 * @param endpoint    an endpoint override, for example a local emulator; empty for AWS itself
 * @param credentials static credentials; empty to use the default AWS credential chain
 * @param retry       how throttling, 5xx and I/O failures are retried
 * @param callTimeout the limit of one attempt of one call
 */
public record DynamoDbCheckpointConfig(String table, String region, Optional<URI> endpoint,
                                       Optional<StaticCredentials> credentials, Backoff retry, Duration callTimeout) {

    public static final String DEFAULT_TABLE = "streamfleet-checkpoints";
    public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(5);

    public DynamoDbCheckpointConfig {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(callTimeout, "callTimeout");
        CheckpointRules.requireTableName(table);
        if (region.isBlank()) {
            throw new IllegalArgumentException("the DynamoDB region is empty");
        }
        if (callTimeout.isNegative() || callTimeout.isZero()) {
            throw new IllegalArgumentException("callTimeout must be positive, not " + callTimeout);
        }
    }

    /** AWS itself in {@code region}, with the default credential chain. */
    public static DynamoDbCheckpointConfig aws(String table, String region) {
        return new DynamoDbCheckpointConfig(table, region, Optional.empty(), Optional.empty(), Backoff.DEFAULT,
                DEFAULT_CALL_TIMEOUT);
    }

    /** An emulator at {@code endpoint}, which accepts any credentials. */
    public static DynamoDbCheckpointConfig local(String table, URI endpoint) {
        return new DynamoDbCheckpointConfig(table, "us-east-1", Optional.of(endpoint),
                Optional.of(new StaticCredentials("local", "local")), Backoff.DEFAULT, DEFAULT_CALL_TIMEOUT);
    }

    public DynamoDbCheckpointConfig withRetry(Backoff retry) {
        return new DynamoDbCheckpointConfig(table, region, endpoint, credentials, retry, callTimeout);
    }

    /** A person-readable name of the service, for messages: {@code DynamoDB at <endpoint>} or {@code DynamoDB in <region>}. */
    String where() {
        return endpoint.map(uri -> "DynamoDB at " + uri).orElse("DynamoDB in " + region);
    }

    /**
     * An access key and its secret.
     *
     * @param accessKeyId     the access key id
     * @param secretAccessKey the secret; never printed
     */
    public record StaticCredentials(String accessKeyId, String secretAccessKey) {
        public StaticCredentials {
            Objects.requireNonNull(accessKeyId, "accessKeyId");
            Objects.requireNonNull(secretAccessKey, "secretAccessKey");
        }

        @Override
        public String toString() {
            return "StaticCredentials[accessKeyId=" + accessKeyId + ", secretAccessKey=****]";
        }
    }
}
