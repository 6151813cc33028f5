package dev.streamfleet.deploy.localstack;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Which servers the local stack starts, and where it keeps their files.
 *
 * @param workDir           every file the stack writes (data, logs, configuration) goes below it
 * @param zookeeperMembers  0 for no ZooKeeper, 1 for a standalone server, 3 (or more) for a quorum ensemble
 * @param zookeeperTickMillis the ZooKeeper tick; session timeouts may range from 2 ticks to 60 s
 * @param kinesis           start the kinesis-local emulator
 * @param dynamodb          start the dynalite emulator
 * @param kafka             start a single-node KRaft Kafka broker
 * @param kinesalite        start the kinesalite emulator as well (fast, less faithful; for benchmarks)
 * @param persistent        the Kinesis and DynamoDB emulators keep their data on disk, so that a
 *                          restart resumes where they were (fault tests) instead of starting empty
 */
public record LocalStackConfig(Path workDir, int zookeeperMembers, int zookeeperTickMillis,
                               boolean kinesis, boolean dynamodb, boolean kafka, boolean kinesalite, boolean persistent) {

    /** A tick short enough for sub-second session timeouts in tests. */
    public static final int DEFAULT_TICK_MILLIS = 200;

    public LocalStackConfig {
        Objects.requireNonNull(workDir, "workDir");
        if (zookeeperMembers < 0) {
            throw new IllegalArgumentException("zookeeperMembers must be 0 or more, not " + zookeeperMembers);
        }
        if (zookeeperTickMillis < 10) {
            throw new IllegalArgumentException("zookeeperTickMillis must be at least 10, not " + zookeeperTickMillis);
        }
    }

    /** Everything: a standalone ZooKeeper, both emulators and a Kafka broker. */
    public static LocalStackConfig all(Path workDir) {
        return new LocalStackConfig(workDir, 1, DEFAULT_TICK_MILLIS, true, true, true, false, false);
    }

    /** Nothing yet; add servers with the {@code with…} methods. */
    public static LocalStackConfig none(Path workDir) {
        return new LocalStackConfig(workDir, 0, DEFAULT_TICK_MILLIS, false, false, false, false, false);
    }

    public LocalStackConfig withZooKeeper(int members) {
        return new LocalStackConfig(workDir, members, zookeeperTickMillis, kinesis, dynamodb, kafka, kinesalite, persistent);
    }

    public LocalStackConfig withKinesis() {
        return new LocalStackConfig(workDir, zookeeperMembers, zookeeperTickMillis, true, dynamodb, kafka, kinesalite, persistent);
    }

    public LocalStackConfig withDynamoDb() {
        return new LocalStackConfig(workDir, zookeeperMembers, zookeeperTickMillis, kinesis, true, kafka, kinesalite, persistent);
    }

    public LocalStackConfig withKafka() {
        return new LocalStackConfig(workDir, zookeeperMembers, zookeeperTickMillis, kinesis, dynamodb, true, kinesalite, persistent);
    }

    public LocalStackConfig withKinesalite() {
        return new LocalStackConfig(workDir, zookeeperMembers, zookeeperTickMillis, kinesis, dynamodb, kafka, true, persistent);
    }

    public LocalStackConfig withPersistentEmulators() {
        return new LocalStackConfig(workDir, zookeeperMembers, zookeeperTickMillis, kinesis, dynamodb, kafka, kinesalite, true);
    }
}
