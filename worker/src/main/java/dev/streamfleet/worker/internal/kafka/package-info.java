/**
 * Internal to streamfleet: no type here is part of its API, and any may change in any release.
 */
package dev.streamfleet.worker.internal.kafka;
