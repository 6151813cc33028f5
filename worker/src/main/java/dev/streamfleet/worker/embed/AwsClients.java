package dev.streamfleet.worker.embed;

import dev.streamfleet.core.PublicApi;
import java.util.Objects;
import java.util.Optional;

import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * AWS clients an application gives its embedded worker instead of the ones the worker builds
 * from the configuration: for credentials, a proxy or SDK metrics of its own. This is the one
 * place where AWS SDK types meet the embedding API. The clients stay the application's: the
 * worker never closes them. Build them from {@link KinesisClients#pollingBuilder} and
 * {@link KinesisClients#fanOutBuilder} (and {@code DynamoDbCheckpointTable.clientBuilder}), or
 * at least switch the SDK's own retries off: the worker retries with its own bounded backoff.
 */
@PublicApi
public final class AwsClients {

    private static final AwsClients NONE = new AwsClients(Optional.empty(), Optional.empty(), Optional.empty());

    private final Optional<KinesisClient> kinesis;
    private final Optional<KinesisAsyncClient> kinesisAsync;
    private final Optional<DynamoDbClient> dynamoDb;

    private AwsClients(Optional<KinesisClient> kinesis, Optional<KinesisAsyncClient> kinesisAsync,
                       Optional<DynamoDbClient> dynamoDb) {
        this.kinesis = kinesis;
        this.kinesisAsync = kinesisAsync;
        this.dynamoDb = dynamoDb;
    }

    /** None: the worker builds every client from the configuration. */
    public static AwsClients fromConfiguration() {
        return NONE;
    }

    /** The client every polling Kinesis source reads with (and lists shards with), whatever its configured region. */
    public AwsClients withKinesis(KinesisClient client) {
        return new AwsClients(Optional.of(Objects.requireNonNull(client, "client")), kinesisAsync, dynamoDb);
    }

    /** The client every fan-out Kinesis source subscribes with; it must speak HTTP/2. */
    public AwsClients withKinesisAsync(KinesisAsyncClient client) {
        return new AwsClients(kinesis, Optional.of(Objects.requireNonNull(client, "client")), dynamoDb);
    }

    /** The client of the checkpoint table. */
    public AwsClients withDynamoDb(DynamoDbClient client) {
        return new AwsClients(kinesis, kinesisAsync, Optional.of(Objects.requireNonNull(client, "client")));
    }

    Optional<KinesisClient> kinesis() {
        return kinesis;
    }

    Optional<KinesisAsyncClient> kinesisAsync() {
        return kinesisAsync;
    }

    Optional<DynamoDbClient> dynamoDb() {
        return dynamoDb;
    }
}
