package dev.streamfleet.coordinator;

import dev.streamfleet.core.PublicApi;

/** Why a unit is taken away from a worker that still holds its lease. */
@PublicApi
public enum RevokeReason {
    /** The leader gave the unit to another worker. */
    MOVED,
    /** This worker is leaving the fleet. */
    SHUTDOWN
}
