package dev.streamfleet.coordinator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A unit as the keeper sees it, for the keeper's tests: it records the commands it gets, and
 * its revokes and abandons complete only when the test says the unit has taken them.
 */
final class ScriptedWork implements UnitWork {

    final UnitContext context;
    final List<String> commands = new ArrayList<>();
    final CompletableFuture<Boolean> revoked = new CompletableFuture<>();
    final CompletableFuture<Void> abandoned = new CompletableFuture<>();

    ScriptedWork(UnitContext context) {
        this.context = context;
    }

    @Override
    public void pause() {
        commands.add("pause");
    }

    @Override
    public void resume() {
        commands.add("resume");
    }

    @Override
    public CompletionStage<Boolean> revoke(Duration timeout, RevokeReason reason) {
        commands.add("revoke " + reason);
        return revoked;
    }

    @Override
    public CompletionStage<Void> abandon(String reason) {
        commands.add("abandon: " + reason);
        return abandoned;
    }
}
