package dev.streamfleet.coordinator;

import java.time.Instant;
import java.util.Objects;

/**
 * What a worker publishes about itself in its registration znode.
 *
 * @param id        the worker id
 * @param host      the host name it runs on
 * @param statusUrl where its status endpoints answer; empty when it serves none
 * @param startedAt when the process started
 * @param version   the streamfleet version it runs
 * @param capacity  how many units it is willing to hold, relative to others; 1 for all equal
 */
public record WorkerInfo(WorkerId id, String host, String statusUrl, Instant startedAt, String version, int capacity) {

    public WorkerInfo {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(statusUrl, "statusUrl");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(version, "version");
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, not " + capacity);
        }
    }
}
