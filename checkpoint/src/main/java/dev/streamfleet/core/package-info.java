/**
 * The value types every part of streamfleet speaks in: units, positions, source kinds.
 *
 * <p>Public API: the types marked {@link dev.streamfleet.core.PublicApi}. Unmarked types here are
 * streamfleet's own and may change in any release.
 */
package dev.streamfleet.core;
