package dev.streamfleet.coordinator;

/**
 * Decides which worker reads which unit: a pure function of the {@link ClusterView}, so the
 * current owners are an input and stickiness needs no hidden state. Only assignable units
 * (see {@link ClusterView#isAssignable}) are assigned, and every live worker appears in the
 * result.
 */
@FunctionalInterface
public interface AssignmentStrategy {

    Assignment assign(ClusterView view);
}
