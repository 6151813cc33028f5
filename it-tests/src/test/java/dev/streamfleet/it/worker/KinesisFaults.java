package dev.streamfleet.it.worker;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.kinesis.model.GetRecordsRequest;

/**
 * Turns every n-th GetRecords answer into an error after the emulator answered it, cycling
 * through an expired iterator, throttling and an internal error. kinesis-local never throttles
 * and its iterators live 300 s, so this is how a test meets those. The records of a replaced
 * answer are lost to the reader, which must fetch them again: a gap would show.
 */
final class KinesisFaults implements ExecutionInterceptor {

    private static final ExecutionAttribute<String> INJECTED = new ExecutionAttribute<>("streamfleet.kinesis-fault");
    private static final String[][] FAULTS = {
            {"400", "ExpiredIteratorException"},
            {"400", "ProvisionedThroughputExceededException"},
            {"500", "InternalFailure"},
    };

    private final AtomicInteger calls = new AtomicInteger();
    private final Map<String, AtomicInteger> injected = new ConcurrentHashMap<>();
    private volatile int every;

    void failEvery(int n) {
        every = n;
    }

    Map<String, Integer> injected() {
        Map<String, Integer> counts = new java.util.HashMap<>();
        injected.forEach((type, count) -> counts.put(type, count.get()));
        return counts;
    }

    @Override
    public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
        // Attributes outlive an attempt: clear the mark, or a retried attempt would get this one's body.
        attributes.putAttribute(INJECTED, "");
        if (!(context.request() instanceof GetRecordsRequest) || every == 0) {
            return context.httpResponse();
        }
        int call = calls.incrementAndGet();
        if (call % every != 0) {
            return context.httpResponse();
        }
        String[] fault = FAULTS[(call / every) % FAULTS.length];
        injected.computeIfAbsent(fault[1], k -> new AtomicInteger()).incrementAndGet();
        attributes.putAttribute(INJECTED, "{\"__type\":\"" + fault[1] + "\",\"message\":\"injected by the test\"}");
        return context.httpResponse().toBuilder()
                .statusCode(Integer.parseInt(fault[0]))
                .removeHeader("Content-Length")
                .putHeader("Content-Type", "application/x-amz-json-1.1")
                .build();
    }

    @Override
    public Optional<InputStream> modifyHttpResponseContent(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
        String body = attributes.getAttribute(INJECTED);
        return body == null || body.isEmpty() ? context.responseBody()
                : Optional.of(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)));
    }
}
