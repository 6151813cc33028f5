package dev.streamfleet.checkpoint.internal.dynamodb;

import dev.streamfleet.checkpoint.CheckpointAccessDeniedException;
import dev.streamfleet.checkpoint.CheckpointException;
import dev.streamfleet.checkpoint.CheckpointStoreUnavailableException;
import dev.streamfleet.core.Backoff;
import dev.streamfleet.core.Sleeper;

import java.time.Duration;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.random.RandomGenerator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;

/**
 * Runs DynamoDB calls with bounded, jittered retries of throttling, 5xx and I/O failures, and
 * turns every other failure into a one-line {@link CheckpointException}. A failed write
 * condition is passed through untouched: it is an answer, not a failure, and is never retried.
 */
final class DynamoDbCalls {

    private static final Logger LOG = LoggerFactory.getLogger(DynamoDbCalls.class);
    private static final Set<String> ACCESS_DENIED = Set.of("AccessDeniedException", "UnrecognizedClientException",
            "InvalidSignatureException", "MissingAuthenticationTokenException", "ExpiredTokenException");

    private final DynamoDbCheckpointConfig config;
    private final Sleeper sleeper;
    private final RandomGenerator random;

    DynamoDbCalls(DynamoDbCheckpointConfig config, Sleeper sleeper, RandomGenerator random) {
        this.config = config;
        this.sleeper = sleeper;
        this.random = random;
    }

    /**
     * Runs {@code call}, passing it the attempt number (from 1), until it succeeds, fails its
     * condition, fails for good, or the retries are spent.
     */
    <T> T call(String operation, IntFunction<T> call) {
        Backoff backoff = config.retry();
        long started = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            try {
                return call.apply(attempt);
            } catch (ConditionalCheckFailedException e) {
                throw e;
            } catch (SdkException e) {
                if (!isRetryable(e)) {
                    throw translate(operation, e);
                }
                if (!backoff.allowsRetryAfter(attempt)) {
                    long millis = Duration.ofNanos(System.nanoTime() - started).toMillis();
                    throw new CheckpointStoreUnavailableException(config.where() + ": " + operation + " on table "
                            + config.table() + " failed " + attempt + " times in " + millis + " ms; last error: "
                            + oneLine(e), e);
                }
                Duration delay = backoff.delayAfter(attempt, random);
                LOG.debug("{} on {} failed (attempt {}), retrying in {} ms: {}", operation, config.table(), attempt,
                        delay.toMillis(), oneLine(e));
                pause(delay, operation);
            }
        }
    }

    private void pause(Duration delay, String operation) {
        try {
            sleeper.sleep(delay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CheckpointException("interrupted while retrying " + operation + " on table " + config.table());
        }
    }

    static boolean isRetryable(SdkException e) {
        if (e instanceof SdkServiceException service) {
            return service.isThrottlingException() || service.statusCode() >= 500;
        }
        return e instanceof SdkClientException && !isMissingCredentials(e);
    }

    private CheckpointException translate(String operation, SdkException e) {
        if (e instanceof ResourceNotFoundException) {
            return new CheckpointException(config.where() + ": table " + config.table() + " does not exist (" + operation
                    + "); it was deleted while streamfleet was using it", e);
        }
        if (e instanceof AwsServiceException aws && aws.awsErrorDetails() != null
                && (ACCESS_DENIED.contains(aws.awsErrorDetails().errorCode()) || aws.statusCode() == 403)) {
            return new CheckpointAccessDeniedException(config.where() + ": no permission for dynamodb:" + operation
                    + " on table " + config.table() + ": " + oneLine(e), e);
        }
        if (isMissingCredentials(e)) {
            return new CheckpointAccessDeniedException(config.where() + ": no AWS credentials found for " + operation
                    + " (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, or an instance role)", e);
        }
        return new CheckpointException(config.where() + ": " + operation + " on table " + config.table() + " failed: "
                + oneLine(e), e);
    }

    private static boolean isMissingCredentials(SdkException e) {
        return e instanceof SdkClientException && e.getMessage() != null
                && e.getMessage().contains("Unable to load credentials");
    }

    /** SDK messages may span lines and carry request ids; one line is enough for a person. */
    static String oneLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != e && root.getMessage() != null && !message.contains(root.getMessage())) {
            message = message + " (" + root.getMessage() + ")";
        }
        return message.replaceAll("\\s*\\R\\s*", " ").trim();
    }
}
