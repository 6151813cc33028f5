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
 * Records every AWS operation a process calls, as IAM action names ({@code kinesis:GetRecords}),
 * one per line in the file named by {@code STREAMFLEET_TEST_AWS_CALLS}. The SDK loads it into
 * every client through its global interceptor list on the test classpath; in a process without
 * that variable it does nothing. Worker processes started by the tests use it to prove that the
 * documented IAM policy names exactly the actions streamfleet calls.
 */
public final class AwsCallRecorder implements ExecutionInterceptor {

    public static final String VARIABLE = "STREAMFLEET_TEST_AWS_CALLS";

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        String file = System.getenv(VARIABLE);
        if (file == null || file.isBlank()) {
            return;
        }
        String service = attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME).toLowerCase(Locale.ROOT);
        String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        try {
            synchronized (AwsCallRecorder.class) {
                Files.writeString(Path.of(file), service + ":" + operation + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The distinct actions recorded in a file. */
    public static Set<String> actions(Path file) throws IOException {
        return Files.exists(file) ? new TreeSet<>(Files.readAllLines(file)) : new TreeSet<>();
    }
}
