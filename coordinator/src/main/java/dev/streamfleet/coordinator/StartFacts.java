package dev.streamfleet.coordinator;

/**
 * What the leader knows of a unit when it first sees it, which is all that decides where the
 * unit starts ({@link UnitStart#of}).
 *
 * @param hasRow           the unit has a checkpoint row: it was read before, seeded, or reset by an operator
 * @param assignedBefore   an assignment published by an earlier leader already names the unit; that
 *                         leader decided where it starts (it seeds a unit before assigning it)
 * @param parentRead       one of the shards it was split or merged from has a checkpoint row: the
 *                         application read the parent, so the unit was created while it ran
 * @param sourceReadBefore the application had read the unit's source (stream or topic) before the
 *                         unit was first seen: the unit appeared later
 */
public record StartFacts(boolean hasRow, boolean assignedBefore, boolean parentRead, boolean sourceReadBefore) {
}
