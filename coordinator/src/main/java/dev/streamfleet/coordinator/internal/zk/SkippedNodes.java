package dev.streamfleet.coordinator.internal.zk;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The znodes one worker skipped because it could not read them: written by another version, a
 * tool or an operator. Each bad node concerns one worker, one unit or one value, and skipping it
 * keeps the rest of the fleet going; nothing is skipped in silence. Each distinct bad value of a
 * node is logged once at WARN and counted once, however often it is read again (the leader reads
 * the fleet on every change), so the count is of bad values found, not of reads. Thread-safe.
 */
final class SkippedNodes {

    private static final Logger LOG = LoggerFactory.getLogger(SkippedNodes.class);
    /** Bad values remembered, so that each is logged once; past this many the oldest are forgotten. */
    private static final int REMEMBERED = 1_000;

    private final AtomicLong count = new AtomicLong();
    private final Map<String, Boolean> seen = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED;
        }
    };

    /**
     * The node at {@code path} was skipped, for {@code reason} (which shows the bad value) and with
     * {@code consequence} (what happens instead, for the log line).
     */
    void skipped(String path, String reason, String consequence) {
        boolean first;
        synchronized (seen) {
            first = seen.put(path + '\n' + reason, Boolean.TRUE) == null;
        }
        if (first) {
            count.incrementAndGet();
            LOG.warn("skipping ZooKeeper node {}: {}; {} (written by another version, a tool or by hand?)", path, reason,
                    consequence);
        } else {
            LOG.debug("skipping ZooKeeper node {} again: {}", path, reason);
        }
    }

    /** How many bad node values this worker has found. */
    long count() {
        return count.get();
    }
}
