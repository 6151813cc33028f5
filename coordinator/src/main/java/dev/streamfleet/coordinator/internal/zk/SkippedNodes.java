package dev.streamfleet.coordinator.internal.zk;

import java.util.Collection;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The znodes one worker skipped because it could not read them: written by another version, a
 * tool or an operator. Each bad node concerns one worker, one unit or one value, and skipping it
 * keeps the rest of the fleet going; nothing is skipped in silence. A bad node is logged at WARN
 * and counted once, however often it is read again and whatever it is rewritten with (the leader
 * reads the fleet on every change), until it reads fine or is gone (missing when read, or no
 * longer listed under its parent): the count is of bad nodes found, not of reads or values.
 * Thread-safe.
 */
final class SkippedNodes {

    private static final Logger LOG = LoggerFactory.getLogger(SkippedNodes.class);
    /**
     * Bad nodes remembered at once. Past this many, a further one is neither logged nor counted
     * (one WARN says so): forgetting old ones instead would count every one again at every read.
     */
    static final int REMEMBERED = 10_000;

    private final AtomicLong count = new AtomicLong();
    /** Each bad node's path and the reason last found; sorted, so that the children of a parent are one range. */
    private final NavigableMap<String, String> bad = new TreeMap<>();
    private boolean overflowReported;

    private enum Seen { NEW, AGAIN, CHANGED, OVERFLOW, IGNORED }

    /**
     * The node at {@code path} was skipped, for {@code reason} (which shows the bad value) and with
     * {@code consequence} (what happens instead, for the log line).
     */
    void skipped(String path, String reason, String consequence) {
        Seen seen;
        synchronized (bad) {
            String before = bad.get(path);
            if (before != null) {
                bad.put(path, reason);
                seen = before.equals(reason) ? Seen.AGAIN : Seen.CHANGED;
            } else if (bad.size() < REMEMBERED) {
                bad.put(path, reason);
                seen = Seen.NEW;
            } else {
                seen = overflowReported ? Seen.IGNORED : Seen.OVERFLOW;
                overflowReported = true;
            }
        }
        switch (seen) {
            case NEW -> {
                count.incrementAndGet();
                LOG.warn("skipping ZooKeeper node {}: {}; {} (written by another version, a tool or by hand?)", path,
                        reason, consequence);
            }
            case CHANGED -> LOG.debug("skipping ZooKeeper node {} again, now: {}", path, reason);
            case AGAIN -> LOG.debug("skipping ZooKeeper node {} again: {}", path, reason);
            case OVERFLOW -> LOG.warn("more than {} ZooKeeper nodes are skipped; further ones are skipped without a log"
                    + " line or a count (first of them: {}: {})", REMEMBERED, path, reason);
            case IGNORED -> LOG.debug("skipping ZooKeeper node {}: {}", path, reason);
        }
    }

    /** The node at {@code path} read fine, or is gone: should it turn bad again, it counts again. */
    void fine(String path) {
        synchronized (bad) {
            bad.remove(path);
        }
    }

    /**
     * The children of {@code parent} as just listed. A bad node right under it that is not among
     * them is gone: should it come back bad, it counts again. Nodes further down, or under other
     * parents, are left as they are.
     */
    void listed(String parent, Collection<String> children) {
        Set<String> present = Set.copyOf(children);
        String prefix = parent + "/";
        synchronized (bad) {
            // '0' follows '/': the range holds every path under the parent, and nothing else.
            bad.subMap(prefix, parent + "0").keySet().removeIf(path -> {
                String name = path.substring(prefix.length());
                return name.indexOf('/') < 0 && !present.contains(name);
            });
        }
    }

    /** Whether the node at {@code path} is skipped now: found bad, and not read fine or gone since. */
    boolean skips(String path) {
        synchronized (bad) {
            return bad.containsKey(path);
        }
    }

    /** How many bad nodes this worker has found, each once until it read fine or was gone. */
    long count() {
        return count.get();
    }
}
