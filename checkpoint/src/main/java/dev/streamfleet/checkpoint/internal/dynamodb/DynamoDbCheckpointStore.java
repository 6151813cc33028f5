package dev.streamfleet.checkpoint.internal.dynamodb;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.checkpoint.CheckpointRules;
import dev.streamfleet.checkpoint.CheckpointStore;
import dev.streamfleet.checkpoint.OwnershipLostException;
import dev.streamfleet.checkpoint.QuarantinedRowException;
import dev.streamfleet.core.Epoch;
import dev.streamfleet.core.FinishedBeyond;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.PositionCodec;
import dev.streamfleet.core.UnitId;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.APPLICATION;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.BUCKET;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.DOMAIN;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.EPOCH;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.OWNER;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.PK;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.FINISHED;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.FORMAT;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.POSITION;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.POSITION_KEY;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.STATE;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.UNIT;
import static dev.streamfleet.checkpoint.internal.dynamodb.CheckpointTableSchema.UPDATED_AT;

/**
 * One application's rows of the DynamoDB checkpoint table. Every fencing rule of
 * {@link CheckpointRules} is a condition of the write itself, so two writers racing on one
 * unit are decided by DynamoDB, not by a read before the write. When a condition fails, the
 * row is read once to say which rule it broke.
 *
 * <p>Every row is read through {@link CheckpointRows}, and every write is conditional on the row's
 * format being one this build writes ({@link #FORMAT_GUARD}), so that a row of a newer build is
 * left alone. A claim also requires the attributes it does not write to have the types this build
 * writes ({@link #CLAIM_GUARD}); a row that fails either, or whose values do not parse, is reported
 * as a {@link QuarantinedRowException} and the unit is not read.
 */
final class DynamoDbCheckpointStore implements CheckpointStore {

    private static final String ACTIVE = "ACTIVE";
    private static final String ENDED = "ENDED";
    /** The row is absent, or of a format this build writes: a newer build's row is never written over. */
    private static final String FORMAT_GUARD = "(attribute_not_exists(#format) OR #format <= :format)";
    /**
     * What a claim, which leaves a row's data as it is, requires of that data: a state this build
     * knows and the attribute types it writes. A row that was edited by hand fails it and is
     * quarantined untouched instead of being claimed with, say, a numeric position that no later
     * read could take for a position, or with the row of another unit copied under its key.
     */
    private static final String CLAIM_GUARD = "(attribute_not_exists(#pk) OR (#state IN (:active, :ended)"
            + " AND #unit = :unit AND (attribute_not_exists(#format) OR #format >= :oldestFormat)))"
            + " AND (attribute_not_exists(#pos) OR attribute_type(#pos, :string))"
            + " AND (attribute_not_exists(#posKey) OR attribute_type(#posKey, :string))"
            + " AND (attribute_not_exists(#finished) OR attribute_type(#finished, :string))";

    private final String application;
    private final DynamoDbClient client;
    private final DynamoDbCheckpointConfig config;
    private final DynamoDbCalls calls;
    private final Clock clock;
    /** Where the bucket queries of {@link #list} run side by side. */
    private final Executor listing;

    DynamoDbCheckpointStore(String application, DynamoDbClient client, DynamoDbCheckpointConfig config,
                            DynamoDbCalls calls, Clock clock, Executor listing) {
        this.application = application;
        this.client = client;
        this.config = config;
        this.calls = calls;
        this.clock = clock;
        this.listing = listing;
    }

    @Override
    public String application() {
        return application;
    }

    @Override
    public Checkpoint claim(UnitId unit, Epoch epoch, String owner) {
        Write write = new Write(unit)
                .set(EPOCH, n(epoch.value()))
                .set(DOMAIN, s(epoch.domain()))
                .set(OWNER, s(owner))
                .setIfNotExists(STATE, s(ACTIVE))
                .name(POSITION)
                .name(FINISHED)
                .value(":active", s(ACTIVE))
                .value(":ended", s(ENDED))
                .value(":string", s("S"))
                .value(":oldestFormat", n(1))
                .condition("(attribute_not_exists(#pk) OR attribute_not_exists(#epoch)"
                        + " OR (#domain = :domain AND #epoch < :epoch)) AND " + CLAIM_GUARD);
        AtomicInteger attempts = new AtomicInteger();
        try {
            Map<String, AttributeValue> item = calls.call("UpdateItem", attempt -> {
                attempts.set(attempt);
                return client.updateItem(write.request(ReturnValue.ALL_NEW)).attributes();
            });
            return trusted(CheckpointRows.toCheckpoint(unit, item));
        } catch (ConditionalCheckFailedException e) {
            Optional<Checkpoint> stored = read(unit).map(DynamoDbCheckpointStore::trusted);
            if (attempts.get() > 1 && stored.flatMap(Checkpoint::epoch).equals(Optional.of(epoch))
                    && stored.flatMap(Checkpoint::owner).equals(Optional.of(owner))) {
                // An earlier attempt succeeded but its answer was lost; the condition then saw our own claim.
                return stored.get();
            }
            CheckpointRules.checkClaim(unit, stored, epoch);
            throw new OwnershipLostException("claim of " + unit + " with epoch " + epoch + " lost a race");
        }
    }

    @Override
    public void checkpoint(UnitId unit, Position position, FinishedBeyond finished, Epoch epoch) {
        CheckpointRules.requireCheckpointPosition(unit, position, finished);
        // A starting point (with records finished beyond it) only ever stays the one the row holds.
        String samePosition = position.isRecordPosition() ? "" : " AND #" + POSITION + " = :" + POSITION;
        Write write = new Write(unit)
                .set(POSITION, s(PositionCodec.encode(position)))
                .set(POSITION_KEY, s(sortKey(position)))
                .value(":active", s(ACTIVE))
                .value(":epoch", n(epoch.value()))
                .value(":domain", s(epoch.domain()))
                .condition("#domain = :domain AND #epoch = :epoch AND #state = :active"
                        + " AND (attribute_not_exists(#posKey) OR #posKey <= :posKey)" + samePosition);
        if (finished.isEmpty()) {
            write.remove(FINISHED);
        } else {
            write.set(FINISHED, s(CheckpointRows.storedFinished(finished)));
        }
        try {
            calls.call("UpdateItem", attempt -> client.updateItem(write.request(ReturnValue.NONE)));
        } catch (ConditionalCheckFailedException e) {
            CheckpointRules.checkCheckpoint(unit, read(unit).map(DynamoDbCheckpointStore::trusted), position, finished,
                    epoch);
            throw new OwnershipLostException("checkpoint of " + unit + " with epoch " + epoch + " lost a race");
        }
    }

    @Override
    public void markEnded(UnitId unit, Epoch epoch) {
        Write write = new Write(unit)
                .set(STATE, s(ENDED))
                .value(":epoch", n(epoch.value()))
                .value(":domain", s(epoch.domain()))
                .condition("#domain = :domain AND #epoch = :epoch");
        try {
            calls.call("UpdateItem", attempt -> client.updateItem(write.request(ReturnValue.NONE)));
        } catch (ConditionalCheckFailedException e) {
            CheckpointRules.checkMarkEnded(unit, read(unit).map(DynamoDbCheckpointStore::trusted), epoch);
            throw new OwnershipLostException("marking " + unit + " ENDED with epoch " + epoch + " lost a race");
        }
    }

    @Override
    public Optional<Checkpoint> read(UnitId unit) {
        Map<String, AttributeValue> item = calls.call("GetItem", attempt -> client.getItem(r -> r
                .tableName(config.table())
                .key(Map.of(PK, s(CheckpointTableSchema.key(application, unit))))
                .consistentRead(true)).item());
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(CheckpointRows.toCheckpoint(unit, item));
    }

    @Override
    public List<Checkpoint> list() {
        // The buckets are queried side by side: one after another they cost a new leader 16 round trips
        // before its first assignment.
        List<CompletableFuture<List<Checkpoint>>> buckets = new ArrayList<>();
        for (int bucket = 0; bucket < CheckpointTableSchema.BUCKETS; bucket++) {
            String bucketKey = CheckpointTableSchema.bucket(application, bucket);
            buckets.add(CompletableFuture.supplyAsync(() -> listBucket(bucketKey), listing));
        }
        List<Checkpoint> rows = new ArrayList<>();
        for (CompletableFuture<List<Checkpoint>> bucket : buckets) {
            try {
                rows.addAll(bucket.join());
            } catch (CompletionException e) {
                if (e.getCause() instanceof RuntimeException failure) {
                    throw failure;
                }
                throw e;
            }
        }
        rows.sort(Comparator.comparing(Checkpoint::unit));
        return rows;
    }

    private List<Checkpoint> listBucket(String bucketKey) {
        List<Checkpoint> rows = new ArrayList<>();
        Map<String, AttributeValue> startKey = null;
        do {
            Map<String, AttributeValue> from = startKey;
            QueryResponse page = calls.call("Query", attempt -> client.query(r -> r
                    .tableName(config.table())
                    .indexName(CheckpointTableSchema.BY_APPLICATION)
                    .keyConditionExpression("#bucket = :bucket")
                    .expressionAttributeNames(Map.of("#bucket", BUCKET))
                    .expressionAttributeValues(Map.of(":bucket", s(bucketKey)))
                    .exclusiveStartKey(from)));
            page.items().forEach(item -> CheckpointRows.listed(application, item).ifPresent(rows::add));
            startKey = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (startKey != null);
        return rows;
    }

    @Override
    public void reset(UnitId unit, Position position) {
        CheckpointRules.checkReset(unit, Optional.empty(), position);
        Write write = new Write(unit)
                .set(POSITION, s(PositionCodec.encode(position)))
                // ACTIVE: the condition keeps an ENDED row ENDED, and a reset is how a damaged state is repaired.
                .set(STATE, s(ACTIVE))
                .remove(FINISHED)
                .remove(EPOCH)
                .remove(DOMAIN)
                .remove(OWNER)
                .value(":ended", s(ENDED))
                .condition("attribute_not_exists(#pk) OR #state <> :ended");
        write.set(POSITION_KEY, s(sortKey(position)));
        try {
            calls.call("UpdateItem", attempt -> client.updateItem(write.request(ReturnValue.NONE)));
        } catch (ConditionalCheckFailedException e) {
            Optional<Checkpoint> stored = read(unit);
            if (stored.isPresent() && stored.get().isQuarantined()) {
                // A newer format (or an ENDED row) fails this condition: a reset repairs any other damage.
                throw new QuarantinedRowException(unit, stored.get().quarantined().get());
            }
            CheckpointRules.checkReset(unit, stored, position);
            throw new IllegalStateException("reset of " + unit + " failed its condition, but the row allows it");
        }
    }

    @Override
    public boolean seed(UnitId unit, Position start) {
        CheckpointRules.checkSeed(unit, start);
        Write write = new Write(unit)
                .set(POSITION, s(PositionCodec.encode(start)))
                .set(STATE, s(ACTIVE))
                .condition("attribute_not_exists(#pk)");
        write.set(POSITION_KEY, s(sortKey(start)));
        try {
            calls.call("UpdateItem", attempt -> client.updateItem(write.request(ReturnValue.NONE)));
            return true;
        } catch (ConditionalCheckFailedException e) {
            // The row exists: someone claimed or seeded it first, or an earlier attempt of ours wrote it.
            return false;
        }
    }

    /** What a row's {@code posKey} holds for a position: its record's sort key, or the mark of a starting point. */
    private static String sortKey(Position position) {
        return position.isRecordPosition() ? PositionCodec.sortKey(position) : CheckpointRows.STARTING_POINT_KEY;
    }

    @Override
    public void clearClaim(UnitId unit) {
        Write write = new Write(unit)
                .remove(EPOCH)
                .remove(DOMAIN)
                .remove(OWNER)
                .condition("attribute_exists(#pk)");
        try {
            calls.call("UpdateItem", attempt -> client.updateItem(write.request(ReturnValue.NONE)));
        } catch (ConditionalCheckFailedException e) {
            // No row: nothing to clear. Or a newer build's row, which is left alone.
            read(unit).ifPresent(DynamoDbCheckpointStore::trusted);
        }
    }

    /** The row, when this build trusts it; a quarantined row is a {@link QuarantinedRowException}. */
    private static Checkpoint trusted(Checkpoint row) {
        if (row.isQuarantined()) {
            throw new QuarantinedRowException(row.unit(), row.quarantined().get());
        }
        return row;
    }

    private static AttributeValue s(String value) {
        return AttributeValue.builder().s(value).build();
    }

    private static AttributeValue n(long value) {
        return AttributeValue.builder().n(Long.toString(value)).build();
    }

    /**
     * One UpdateItem on a unit's row. It always (re)writes the row's identity (application,
     * unit, bucket) and its update time, so that any write can create the row.
     */
    private final class Write {
        private final UnitId unit;
        private final List<String> sets = new ArrayList<>();
        private final List<String> removes = new ArrayList<>();
        private final Map<String, String> names = new HashMap<>();
        private final Map<String, AttributeValue> values = new HashMap<>();
        private String condition;

        Write(UnitId unit) {
            this.unit = unit;
            set(APPLICATION, s(application));
            set(UNIT, s(unit.toString()));
            set(BUCKET, s(CheckpointTableSchema.bucket(application, unit)));
            set(UPDATED_AT, n(clock.millis()));
            set(FORMAT, n(CheckpointTableSchema.ROW_FORMAT));
            for (String attribute : List.of(PK, EPOCH, DOMAIN, STATE, POSITION_KEY)) {
                names.put("#" + attribute, attribute);
            }
        }

        Write set(String attribute, AttributeValue value) {
            names.put("#" + attribute, attribute);
            values.put(":" + attribute, value);
            sets.add("#" + attribute + " = :" + attribute);
            return this;
        }

        Write setIfNotExists(String attribute, AttributeValue value) {
            names.put("#" + attribute, attribute);
            values.put(":" + attribute, value);
            sets.add("#" + attribute + " = if_not_exists(#" + attribute + ", :" + attribute + ")");
            return this;
        }

        /** Makes {@code #attribute} usable in the condition. */
        Write name(String attribute) {
            names.put("#" + attribute, attribute);
            return this;
        }

        Write remove(String attribute) {
            names.put("#" + attribute, attribute);
            removes.add("#" + attribute);
            return this;
        }

        Write value(String placeholder, AttributeValue value) {
            values.put(placeholder, value);
            return this;
        }

        /** The write's own rule; every write also requires a format this build writes ({@link #FORMAT_GUARD}). */
        Write condition(String expression) {
            this.condition = "(" + expression + ") AND " + FORMAT_GUARD;
            return this;
        }

        UpdateItemRequest request(ReturnValue returnValue) {
            String update = "SET " + String.join(", ", sets) + (removes.isEmpty() ? "" : " REMOVE " + String.join(", ", removes));
            Map<String, String> usedNames = new HashMap<>();
            names.forEach((placeholder, attribute) -> {
                if (update.contains(placeholder) || condition.contains(placeholder)) {
                    usedNames.put(placeholder, attribute);
                }
            });
            return UpdateItemRequest.builder()
                    .tableName(config.table())
                    .key(Map.of(PK, s(CheckpointTableSchema.key(application, unit))))
                    .updateExpression(update)
                    .conditionExpression(condition)
                    .expressionAttributeNames(usedNames)
                    .expressionAttributeValues(values)
                    .returnValues(returnValue)
                    .build();
        }
    }
}
