/**
 * The processor SPI: what a processor implements and what it is handed.
 *
 * <p>Public API: the types marked {@link dev.streamfleet.core.PublicApi}. Unmarked types here are
 * streamfleet's own and may change in any release.
 */
package dev.streamfleet.worker;
