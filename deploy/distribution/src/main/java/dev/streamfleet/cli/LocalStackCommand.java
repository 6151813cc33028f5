package dev.streamfleet.cli;

import dev.streamfleet.deploy.localstack.LocalStack;
import dev.streamfleet.deploy.localstack.LocalStackConfig;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code streamfleet local-stack}: the local servers on loopback until Ctrl-C. */
@Command(name = "local-stack", mixinStandardHelpOptions = true,
        description = "Starts ZooKeeper, the Kinesis and DynamoDB emulators and a Kafka broker on 127.0.0.1, prints"
                + " their endpoints, and stops them all on Ctrl-C.")
final class LocalStackCommand implements Callable<Integer> {

    @Option(names = "--ensemble", description = "Run ZooKeeper as a 3-member quorum ensemble.")
    boolean ensemble;

    @Option(names = "--dir", description = "Keep data and logs here (default: a new directory under java.io.tmpdir).")
    Path dir;

    @Override
    public Integer call() throws InterruptedException {
        Path workDir = dir != null ? dir
                : Path.of(System.getProperty("java.io.tmpdir"), "streamfleet-local-stack-" + ProcessHandle.current().pid());
        System.out.println("starting the local stack in " + workDir + " ...");
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "local-stack-stop"));
        try (LocalStack stack = LocalStack.start(LocalStackConfig.all(workDir).withZooKeeper(ensemble ? 3 : 1))) {
            for (Map.Entry<String, String> endpoint : stack.endpoints().entrySet()) {
                System.out.printf("%-10s %s%n", endpoint.getKey(), endpoint.getValue());
            }
            System.out.println("region     " + LocalStack.REGION + " (any access key and secret work)");
            System.out.println("ready; press Ctrl-C to stop");
            stop.await();
        }
        return 0;
    }
}
