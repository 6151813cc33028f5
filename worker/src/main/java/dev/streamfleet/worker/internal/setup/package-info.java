/**
 * Internal to streamfleet: no type here is part of its API, and any may change in any release.
 * What the command line and an embedding application both need to set a worker up.
 */
package dev.streamfleet.worker.internal.setup;
