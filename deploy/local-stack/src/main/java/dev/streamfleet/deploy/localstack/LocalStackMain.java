package dev.streamfleet.deploy.localstack;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Starts the local stack from the shell, prints the endpoints, and stops everything on Ctrl-C.
 *
 * <p>Usage: {@code local-stack [--ensemble] [--dir DIR]}. The directory defaults to a fresh one
 * under the system temporary directory.
 */
public final class LocalStackMain {

    private LocalStackMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        int members = 1;
        Path dir = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--ensemble" -> members = 3;
                case "--dir" -> {
                    if (i + 1 >= args.length) {
                        usage("--dir needs a directory");
                    }
                    dir = Path.of(args[++i]);
                }
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> usage("unknown option " + args[i]);
            }
        }
        if (dir == null) {
            dir = Path.of(System.getProperty("java.io.tmpdir"), "streamfleet-local-stack-" + ProcessHandle.current().pid());
        }
        System.out.println("starting the local stack in " + dir + " ...");
        LocalStack stack;
        try {
            stack = LocalStack.start(LocalStackConfig.all(dir).withZooKeeper(members));
        } catch (RuntimeException e) {
            System.err.println("local-stack: " + e.getMessage());
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("stopping the local stack ...");
            stack.close();
            stopped.countDown();
        }, "local-stack-main-shutdown"));
        for (Map.Entry<String, String> endpoint : stack.endpoints().entrySet()) {
            System.out.printf("%-10s %s%n", endpoint.getKey(), endpoint.getValue());
        }
        System.out.println("region     " + LocalStack.REGION + " (any access key and secret work)");
        System.out.println("files      " + dir);
        System.out.println("ready; press Ctrl-C to stop");
        stopped.await();
    }

    private static final String USAGE = """
            usage: local-stack [--ensemble] [--dir DIR]
              --ensemble  run ZooKeeper as a 3-member quorum ensemble instead of one server
              --dir DIR   keep data and logs in DIR (default: a new directory under java.io.tmpdir)""";

    private static void usage(String problem) {
        System.err.println("local-stack: " + problem);
        System.err.println(USAGE);
        System.exit(2);
    }
}
