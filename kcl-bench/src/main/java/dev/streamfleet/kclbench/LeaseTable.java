package dev.streamfleet.kclbench;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

/**
 * KCL 3's lease table, created as KCL would create it but with its owner index from the start:
 * KCL adds the index to an existing table with UpdateTable, which dynalite does not support.
 */
final class LeaseTable {

    static final String OWNER_INDEX = "LeaseOwnerToLeaseKeyIndex";

    private LeaseTable() {
    }

    static void createWithIndex(DynamoDbAsyncClient dynamo, String application) throws InterruptedException {
        try {
            dynamo.createTable(r -> r.tableName(application)
                    .attributeDefinitions(a -> a.attributeName("leaseKey").attributeType(ScalarAttributeType.S),
                            a -> a.attributeName("leaseOwner").attributeType(ScalarAttributeType.S))
                    .keySchema(k -> k.attributeName("leaseKey").keyType(KeyType.HASH))
                    .provisionedThroughput(p -> p.readCapacityUnits(1000L).writeCapacityUnits(1000L))
                    .globalSecondaryIndexes(index -> index.indexName(OWNER_INDEX)
                            .keySchema(k -> k.attributeName("leaseOwner").keyType(KeyType.HASH),
                                    k -> k.attributeName("leaseKey").keyType(KeyType.RANGE))
                            .projection(p -> p.projectionType(ProjectionType.KEYS_ONLY))
                            .provisionedThroughput(p -> p.readCapacityUnits(1000L).writeCapacityUnits(1000L))))
                    .get();
        } catch (ExecutionException | CompletionException e) {
            if (!(e.getCause() instanceof ResourceInUseException)) {
                throw new IllegalStateException("creating the lease table " + application + ": " + e.getCause(), e);
            }
        }
    }
}
