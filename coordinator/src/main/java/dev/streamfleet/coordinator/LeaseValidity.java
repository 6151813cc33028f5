package dev.streamfleet.coordinator;

/**
 * Whether this worker's leases are certainly still its own at this moment. ZooKeeper tells a
 * worker that its session expired only when the worker next hears from it; a worker that was
 * frozen (a stopped process, a long pause) would otherwise go on for a moment as if nothing
 * happened while another worker already reads its units. A reader asks this before it hands
 * records to the processor and holds them back while the answer is no.
 */
@FunctionalInterface
public interface LeaseValidity {

    /** For readers outside a fleet (tools, tests of a single reader), whose ownership nothing can take. */
    LeaseValidity ALWAYS = () -> true;

    boolean current();
}
