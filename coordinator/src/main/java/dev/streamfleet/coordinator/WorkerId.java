package dev.streamfleet.coordinator;

import dev.streamfleet.core.PublicApi;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A worker's identity in the fleet: stable for the life of one process, unique in the fleet
 * (host, pid and a random suffix), and safe as a znode name.
 *
 * @param value the id, such as {@code ip-10-0-0-7-4242-1f3a}
 */
@PublicApi
public record WorkerId(String value) implements Comparable<WorkerId> {

    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    public WorkerId {
        Objects.requireNonNull(value, "value");
        if (!VALID.matcher(value).matches()) {
            throw new IllegalArgumentException("invalid worker id '" + value + "' (1-128 characters of A-Z a-z 0-9 . _ -)");
        }
    }

    public static WorkerId of(String value) {
        return new WorkerId(value);
    }

    /** A fresh id for this process: its host name, its pid and a random suffix. */
    public static WorkerId generate(String host) {
        String cleanHost = host.replaceAll("[^A-Za-z0-9.-]", "-");
        if (cleanHost.length() > 80) {
            cleanHost = cleanHost.substring(0, 80);
        }
        String suffix = Integer.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
        return new WorkerId(cleanHost + "-" + ProcessHandle.current().pid() + "-" + suffix);
    }

    @Override
    public int compareTo(WorkerId other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
