package dev.streamfleet.worker.internal.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.spi.FilterReply;

import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ExpectedZooKeeperEventsTest {

    private final LoggerContext context = new LoggerContext();
    private final ExpectedZooKeeperEvents filter = new ExpectedZooKeeperEvents();

    private LoggingEvent event(String logger, String message, Throwable error) {
        return new LoggingEvent("test", context.getLogger(logger), Level.ERROR, message, error, null);
    }

    @Test
    void aRetryThatGaveUpDuringAConnectionLossDoesNotReachTheLogAsAnError() {
        assertThat(filter.decide(event("org.apache.curator.framework.imps.CuratorFrameworkImpl",
                "Background operation retry gave up", new KeeperException.ConnectionLossException())))
                .isEqualTo(FilterReply.DENY);
        assertThat(filter.decide(event("org.apache.curator.framework.imps.CuratorFrameworkImpl",
                "Background retry gave up", new RuntimeException(new KeeperException.SessionExpiredException()))))
                .isEqualTo(FilterReply.DENY);
    }

    @Test
    void aLeaderLatchThatLostItsNodeAfterASessionExpiryIsNotAnError() {
        assertThat(filter.decide(event("org.apache.curator.framework.recipes.leader.LeaderLatch",
                "[id=w2] failed to find our node; resetting (index: -1)", null))).isEqualTo(FilterReply.DENY);
    }

    @Test
    void otherCuratorErrorsAndEveryoneElsesPass() {
        assertThat(filter.decide(event("org.apache.curator.framework.imps.CuratorFrameworkImpl",
                "Background exception was not retry-able", new KeeperException.NoAuthException())))
                .isEqualTo(FilterReply.NEUTRAL);
        assertThat(filter.decide(event("dev.streamfleet.worker.internal.runtime.UnitRunner", "failed",
                new KeeperException.ConnectionLossException()))).isEqualTo(FilterReply.NEUTRAL);
    }
}
