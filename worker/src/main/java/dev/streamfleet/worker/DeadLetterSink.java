package dev.streamfleet.worker;

/**
 * Where a record goes that the processor failed on through every attempt
 * ({@code processing.deadLetter}): a Kafka topic or a Kinesis stream. Only once the destination
 * has acknowledged it does the record count as finished, so nothing is dropped.
 */
public interface DeadLetterSink extends AutoCloseable {

    /**
     * Writes the record and returns once the destination has acknowledged it. Called on a
     * worker thread that may block.
     *
     * @throws Exception when the destination did not take it; the unit then stops as FAILED
     */
    void send(FailedRecord record) throws Exception;

    /** Where the letters go, for log lines and errors. */
    String describe();

    @Override
    void close();
}
