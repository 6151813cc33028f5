package dev.streamfleet.worker.internal.kinesis;

import dev.streamfleet.worker.DeadLetterSink;
import dev.streamfleet.worker.FailedRecord;

import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/** Dead letters into a Kinesis stream, with the record's partition key (an empty one becomes "-", a long one is cut at 256). */
public final class KinesisDeadLetterSink implements DeadLetterSink {

    private final KinesisClient client;
    private final String stream;

    /** @param client a client this sink owns and closes */
    public KinesisDeadLetterSink(KinesisClient client, String stream) {
        this.client = client;
        this.stream = stream;
    }

    @Override
    public void send(FailedRecord record) {
        String original = record.record().partitionKey();
        // Kinesis takes keys of 1 to 256 characters.
        String key = original.isEmpty() ? "-" : original.length() > 256 ? original.substring(0, 256) : original;
        client.putRecord(r -> r.streamName(stream).partitionKey(key).data(SdkBytes.fromByteArray(record.toJson())));
    }

    @Override
    public String describe() {
        return "Kinesis stream " + stream;
    }

    @Override
    public void close() {
        client.close();
    }
}
