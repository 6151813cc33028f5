package dev.streamfleet.it.localstack;

import dev.streamfleet.it.LocalStackExtension;
import dev.streamfleet.it.worker.TestStreams;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

import static org.assertj.core.api.Assertions.assertThat;

/** With the emulators' data on disk, a restarted Kinesis emulator still has every stream and record. */
class PersistentEmulatorsIT {

    @RegisterExtension
    static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withKinesis().withPersistentEmulators());

    @Test
    void restartedKinesisEmulatorStillHasEveryStreamAndRecord() throws Exception {
        String endpoint = SERVERS.stack().kinesis().endpoint();
        String stream;
        try (KinesisClient kinesis = TestStreams.client(endpoint)) {
            stream = TestStreams.create(kinesis, "persist", 1);
        }
        for (int round = 0; round < 2; round++) {
            try (KinesisClient kinesis = TestStreams.client(endpoint)) {
                TestStreams.put(kinesis, stream, round * 100, (round + 1) * 100, 10);
            }
            Thread.sleep(300);
            SERVERS.stack().kinesis().restart();
        }
        List<String> read = new ArrayList<>();
        try (KinesisClient kinesis = TestStreams.client(endpoint)) {
            String iterator = kinesis.getShardIterator(r -> r.streamName(stream).shardId("shardId-000000000000")
                    .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
            for (int call = 0; call < 20 && iterator != null && read.size() < 200; call++) {
                String current = iterator;
                var response = kinesis.getRecords(r -> r.shardIterator(current));
                response.records().forEach(record -> read.add(record.data().asUtf8String()));
                iterator = response.nextShardIterator();
            }
        }
        assertThat(read).hasSize(200).doesNotHaveDuplicates();
    }
}
