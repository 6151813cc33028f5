/**
 * Internal to streamfleet: no type here is part of its API, and any may change in any release.
 * The unit runtime: a worker's units, each one mailbox that owns its source, its processor and
 * its positions ({@code UnitRunner}), the two ways it hands records to the processor (serially,
 * or in lanes), the one writer of its checkpoints, and the threads they run on.
 */
package dev.streamfleet.worker.internal.runtime;
