/**
 * Membership, assignment and lease rules, independent of ZooKeeper.
 *
 * <p>Public API: the types marked {@link dev.streamfleet.core.PublicApi}. Unmarked types here are
 * streamfleet's own and may change in any release.
 */
package dev.streamfleet.coordinator;
