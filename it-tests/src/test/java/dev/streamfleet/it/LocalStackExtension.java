package dev.streamfleet.it;

import dev.streamfleet.deploy.localstack.LocalStack;
import dev.streamfleet.deploy.localstack.LocalStackConfig;

import java.nio.file.Path;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Gives a test class its own local stack, started once before its first test and stopped after
 * its last. Register it as a static field:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final LocalStackExtension SERVERS = LocalStackExtension.with(c -> c.withDynamoDb());
 * }</pre>
 *
 * Files go below the directory named by {@code streamfleet.localstack.workdir} (set by the
 * build to {@code it-tests/target/local-stack}), one directory per test class.
 */
public final class LocalStackExtension implements BeforeAllCallback, AfterAllCallback {

    private final UnaryOperator<LocalStackConfig> servers;
    private LocalStack stack;

    private LocalStackExtension(UnaryOperator<LocalStackConfig> servers) {
        this.servers = servers;
    }

    public static LocalStackExtension with(UnaryOperator<LocalStackConfig> servers) {
        return new LocalStackExtension(servers);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Path base = Path.of(System.getProperty("streamfleet.localstack.workdir", "target/local-stack"));
        Path dir = base.resolve(context.getRequiredTestClass().getSimpleName() + "-" + System.currentTimeMillis());
        stack = LocalStack.start(servers.apply(LocalStackConfig.none(dir)));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (stack != null) {
            stack.close();
            stack = null;
        }
    }

    public LocalStack stack() {
        if (stack == null) {
            throw new IllegalStateException("the local stack runs only between beforeAll and afterAll");
        }
        return stack;
    }
}
