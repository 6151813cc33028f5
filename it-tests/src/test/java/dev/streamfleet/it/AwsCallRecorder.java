package dev.streamfleet.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Records every AWS operation a process completes, one line each in the file named by
 * {@code STREAMFLEET_TEST_AWS_CALLS}: the time in epoch millis, the IAM action name
 * ({@code kinesis:GetRecords}), the outcome ({@code ok} or the error code) and, for DynamoDB
 * item writes, the item's key; for a checkpoint write (one that sets a position) also the
 * position and the epoch it was written under, as {@code pos=<position> epoch=<n>}; for an accepted
 * claim the epoch and the position the row held, where the claimant resumes, as
 * {@code claimed epoch=<n> resumed=<position or ->}. The SDK loads it into
 * every client through its global interceptor list on the test classpath; in a process without
 * that variable it does nothing. Worker processes started by the tests use it to prove that the
 * documented IAM policy names exactly the actions streamfleet calls.
 */
public final class AwsCallRecorder implements ExecutionInterceptor {

    public static final String VARIABLE = "STREAMFLEET_TEST_AWS_CALLS";

    /**
     * One recorded call; {@code position} and {@code epoch} are a checkpoint write's, empty and -1
     * for any other call; {@code claimed} says an accepted claim, {@code resumed} the position its
     * row held ({@code -} when none).
     */
    public record Call(long millis, String action, String outcome, String key, String position, long epoch,
                       boolean claimed, String resumed) {

        static Call parse(String line) {
            String[] parts = line.split(" ");
            String position = "";
            String resumed = "";
            boolean claimed = false;
            long epoch = -1;
            for (int i = 4; i < parts.length; i++) {
                if (parts[i].startsWith("pos=")) {
                    position = parts[i].substring("pos=".length());
                } else if (parts[i].startsWith("epoch=")) {
                    epoch = Long.parseLong(parts[i].substring("epoch=".length()));
                } else if (parts[i].startsWith("resumed=")) {
                    resumed = parts[i].substring("resumed=".length());
                } else if (parts[i].equals("claimed")) {
                    claimed = true;
                }
            }
            return new Call(Long.parseLong(parts[0]), parts[1], parts[2], parts.length > 3 && !parts[3].contains("=")
                    && !parts[3].equals("claimed") ? parts[3] : "", position, epoch, claimed, resumed);
        }

        /** A write of a checkpoint's position (not a claim, not marking a unit ended). */
        public boolean isCheckpoint() {
            return !position.isEmpty();
        }

        public boolean ok() {
            return outcome.equals("ok");
        }
    }

    /**
     * A subscription (SubscribeToShard) may never complete while the process lives: it ends after
     * 5 minutes or when cancelled, and a cancelled one is reported neither way. It is recorded
     * when it is sent, with the outcome {@code sent}.
     */
    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        if ("SubscribeToShard".equals(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME))) {
            record(context.request(), attributes, "sent", "");
        }
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        String resumed = "";
        if (context.request() instanceof software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest update
                && !update.expressionAttributeValues().containsKey(":pos")
                && context.response() instanceof software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse answer
                && answer.hasAttributes() && answer.attributes().containsKey("epoch")) {
            // A claim: the row as it stands after it, which is where the claimant resumes.
            var row = answer.attributes();
            resumed = " claimed epoch=" + row.get("epoch").n() + " resumed=" + (row.containsKey("pos") ? row.get("pos").s() : "-");
        }
        record(context.request(), attributes, "ok", resumed);
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        Throwable failure = context.exception();
        String outcome = failure instanceof software.amazon.awssdk.awscore.exception.AwsServiceException service
                && service.awsErrorDetails() != null && service.awsErrorDetails().errorCode() != null
                ? service.awsErrorDetails().errorCode() : failure.getClass().getSimpleName();
        record(context.request(), attributes, outcome, "");
    }

    private static void record(software.amazon.awssdk.core.SdkRequest request, ExecutionAttributes attributes, String outcome,
                               String claim) {
        String file = System.getenv(VARIABLE);
        if (file == null || file.isBlank()) {
            return;
        }
        String service = attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME).toLowerCase(Locale.ROOT);
        String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        String key = "";
        String checkpoint = "";
        if (request instanceof software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest update
                && update.key().containsKey("pk")) {
            key = " " + update.key().get("pk").s();
            var values = update.expressionAttributeValues();
            if (values.containsKey(":pos") && values.containsKey(":epoch")) {
                checkpoint = " pos=" + values.get(":pos").s() + " epoch=" + values.get(":epoch").n();
            }
        }
        String line = System.currentTimeMillis() + " " + service + ":" + operation + " " + outcome + key + checkpoint + claim + "\n";
        try {
            synchronized (AwsCallRecorder.class) {
                Files.writeString(Path.of(file), line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every call recorded in a file, in order. */
    public static java.util.List<Call> calls(Path file) throws IOException {
        return Files.exists(file) ? Files.readAllLines(file).stream().filter(line -> !line.isBlank()).map(Call::parse).toList()
                : java.util.List.of();
    }

    /** The distinct actions recorded in a file. */
    public static Set<String> actions(Path file) throws IOException {
        Set<String> actions = new TreeSet<>();
        calls(file).forEach(call -> actions.add(call.action()));
        return actions;
    }
}
