package dev.streamfleet.it.checkpoint;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpResponse;

/**
 * Replaces real DynamoDB answers with error answers, after the request reached the server.
 * The emulator never throttles and never fails, so this is how throttling, 5xx and permission
 * errors reach the SDK's real error parsing. Because the request did reach the server, an
 * injected failure of a write also models "the write landed but its answer was lost".
 */
final class FaultInjector implements ExecutionInterceptor {

    private static final ExecutionAttribute<String> INJECTED = new ExecutionAttribute<>("streamfleet.injected-fault");

    /** An error answer: HTTP status and DynamoDB error type. */
    record Fault(int status, String type) {
        static final Fault THROTTLED = new Fault(400, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException");
        static final Fault INTERNAL_ERROR = new Fault(500, "com.amazonaws.dynamodb.v20120810#InternalServerError");
        static final Fault UNAVAILABLE = new Fault(503, "com.amazon.coral.availability#ServiceUnavailableException");
        static final Fault ACCESS_DENIED = new Fault(400, "com.amazon.coral.service#AccessDeniedException");
    }

    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private volatile String operation;
    private volatile Fault fault;
    private final AtomicInteger remaining = new AtomicInteger();

    /**
     * The next {@code times} answers to {@code operation} (such as {@code UpdateItem}) become
     * {@code fault}; the call counts start again from zero.
     */
    void fail(String operation, Fault fault, int times) {
        calls.clear();
        this.operation = operation;
        this.fault = fault;
        remaining.set(times);
    }

    void reset() {
        remaining.set(0);
        calls.clear();
    }

    /** How many requests of {@code operation} reached the server since the last reset or fail. */
    int calls(String operation) {
        return calls.getOrDefault(operation, new AtomicInteger()).get();
    }

    private static String operationOf(SdkRequest request) {
        return request.getClass().getSimpleName().replaceFirst("Request$", "");
    }

    @Override
    public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
        // Attributes outlive an attempt: clear the mark, or a retried attempt would get this one's body.
        attributes.putAttribute(INJECTED, "");
        String op = operationOf(context.request());
        calls.computeIfAbsent(op, k -> new AtomicInteger()).incrementAndGet();
        Fault current = fault;
        if (!op.equals(operation) || current == null || remaining.getAndUpdate(n -> Math.max(0, n - 1)) <= 0) {
            return context.httpResponse();
        }
        attributes.putAttribute(INJECTED, "{\"__type\":\"" + current.type() + "\",\"message\":\"injected by the test\"}");
        return context.httpResponse().toBuilder()
                .statusCode(current.status())
                .removeHeader("x-amz-crc32")
                .removeHeader("Content-Length")
                .build();
    }

    @Override
    public Optional<InputStream> modifyHttpResponseContent(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
        String body = attributes.getAttribute(INJECTED);
        if (body == null || body.isEmpty()) {
            return context.responseBody();
        }
        return Optional.of(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)));
    }
}
