/**
 * Running a worker inside an application: {@link dev.streamfleet.worker.embed.Streamfleet#worker()}.
 *
 * <p>Public API: the types marked {@link dev.streamfleet.core.PublicApi}. Unmarked types here are
 * streamfleet's own and may change in any release.
 */
package dev.streamfleet.worker.embed;
