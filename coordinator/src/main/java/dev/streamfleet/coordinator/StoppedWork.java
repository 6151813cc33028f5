package dev.streamfleet.coordinator;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The work of a unit that never started: its checkpoint row was quarantined at the claim. There is
 * nothing to pause, drain or stop, so a revoke or an abandon completes at once, without a
 * checkpoint.
 */
final class StoppedWork implements UnitWork {

    static final StoppedWork INSTANCE = new StoppedWork();

    private StoppedWork() {
    }

    @Override
    public void pause() {
        // Nothing reads.
    }

    @Override
    public void resume() {
        // Nothing reads.
    }

    @Override
    public CompletionStage<Boolean> revoke(Duration timeout, RevokeReason reason) {
        return CompletableFuture.completedFuture(false);
    }

    @Override
    public CompletionStage<Void> abandon(String reason) {
        return CompletableFuture.completedFuture(null);
    }
}
