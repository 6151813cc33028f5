package dev.streamfleet.worker.embed;

import dev.streamfleet.core.PublicApi;

/**
 * Where an application starts a worker of its own, with its processor in code:
 *
 * <pre>{@code
 * EmbeddedWorker worker = Streamfleet.worker()
 *         .config(Path.of("fleet.yaml"))
 *         .processor(unit -> new OrderTotals())
 *         .start();
 * ...
 * worker.shutdownGracefully().get(30, TimeUnit.SECONDS);
 * }</pre>
 *
 * The worker joins the fleet named in the configuration like any {@code streamfleet worker}
 * process: the fleet's other workers may be processes, embedded workers, or both.
 */
@PublicApi
public final class Streamfleet {

    private Streamfleet() {
    }

    /** A builder of one worker. */
    public static WorkerBuilder worker() {
        return new WorkerBuilder();
    }
}
