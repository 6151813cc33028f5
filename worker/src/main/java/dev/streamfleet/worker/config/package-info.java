/**
 * A worker's configuration, as read from its YAML file or built in code.
 *
 * <p>Public API: the types marked {@link dev.streamfleet.core.PublicApi}. Unmarked types here are
 * streamfleet's own and may change in any release.
 */
package dev.streamfleet.worker.config;
