package dev.streamfleet.core;

import java.time.Duration;

/** Waits for a while; injected so that tests drive time instead of sleeping. */
@FunctionalInterface
public interface Sleeper {

    /** The real thing. */
    Sleeper SYSTEM = duration -> Thread.sleep(duration.toMillis());

    void sleep(Duration duration) throws InterruptedException;
}
