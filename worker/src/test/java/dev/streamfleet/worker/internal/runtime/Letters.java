package dev.streamfleet.worker.internal.runtime;

import dev.streamfleet.worker.DeadLetterSink;
import dev.streamfleet.worker.FailedRecord;

import java.util.ArrayList;
import java.util.List;

/** A dead-letter destination that keeps what it is sent, or refuses it while told to. */
final class Letters implements DeadLetterSink {
    final List<FailedRecord> sent = new ArrayList<>();
    boolean refuse;

    @Override
    public void send(FailedRecord record) {
        if (refuse) {
            throw new IllegalStateException("topic unavailable");
        }
        sent.add(record);
    }

    @Override
    public String describe() {
        return "the test's letters";
    }

    @Override
    public void close() {
    }
}
