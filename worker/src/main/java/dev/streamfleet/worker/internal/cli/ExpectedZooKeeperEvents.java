package dev.streamfleet.worker.internal.cli;

import java.util.Set;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Drops Curator's ERROR lines with stack traces for events that are expected and that
 * streamfleet reports itself at the right level: a background retry that gave up during a
 * connection loss or session expiry (the lease keeper logs SUSPENDED and LOST and acts on them),
 * and a leader latch that lost its node when the session expired (the rebalance loop logs "no
 * longer leading"). Every other Curator message passes.
 */
public final class ExpectedZooKeeperEvents extends Filter<ILoggingEvent> {

    private static final Set<String> CONNECTION_EVENTS = Set.of(
            "org.apache.zookeeper.KeeperException$ConnectionLossException",
            "org.apache.zookeeper.KeeperException$SessionExpiredException",
            "org.apache.curator.CuratorConnectionLossException");

    @Override
    public FilterReply decide(ILoggingEvent event) {
        if (!event.getLoggerName().startsWith("org.apache.curator")) {
            return FilterReply.NEUTRAL;
        }
        String message = event.getFormattedMessage();
        if (event.getLoggerName().endsWith(".LeaderLatch") && message != null
                && message.contains("failed to find our node")) {
            return FilterReply.DENY;
        }
        for (IThrowableProxy cause = event.getThrowableProxy(); cause != null; cause = cause.getCause()) {
            if (CONNECTION_EVENTS.contains(cause.getClassName())) {
                return FilterReply.DENY;
            }
        }
        return FilterReply.NEUTRAL;
    }
}
