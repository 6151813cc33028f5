package dev.streamfleet.simulation;

/**
 * What a run measured of loads and memory, so that the search can show these checks saw
 * something: loads published, processor costs changed, units moved for load, and the most
 * records a unit runner kept in memory against what its bounds allow.
 */
final class Measures {

    long loadPublications;
    long costChanges;
    /** Units the leader moved for load (a published move of the strategy's {@code loadMoves}). */
    long loadMoves;
    /** Of those, the moves away from a worker above the policy's trigger (the rest fill an empty worker). */
    long loadMovesOverTrigger;
    /** Fetches checked against a runner's bound on the records it keeps. */
    long boundChecks;
    /** The most records a runner at parallelism 1 kept, and the most its bound allowed then. */
    int serialPeak;
    int serialBoundAtPeak;
    /** The most records a runner reading through lanes kept in flight, and the bound then. */
    int inFlightPeak;
    int inFlightBoundAtPeak;
    /** The most records a runner reading through lanes kept after its first unfinished one, and the bound then. */
    int spanPeak;
    int spanBoundAtPeak;

    Summary summary() {
        return new Summary(loadPublications, costChanges, loadMoves, loadMovesOverTrigger, boundChecks, serialPeak,
                serialBoundAtPeak, inFlightPeak, inFlightBoundAtPeak, spanPeak, spanBoundAtPeak);
    }

    /** One run's measures, or their sum over runs (peaks: the highest share of its bound). */
    record Summary(long loadPublications, long costChanges, long loadMoves, long loadMovesOverTrigger,
                   long boundChecks, int serialPeak, int serialBound, int inFlightPeak, int inFlightBound,
                   int spanPeak, int spanBound) {

        static Summary none() {
            return new Summary(0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1);
        }

        Summary plus(Summary o) {
            boolean serial = (double) o.serialPeak / o.serialBound > (double) serialPeak / serialBound;
            boolean inFlight = (double) o.inFlightPeak / o.inFlightBound > (double) inFlightPeak / inFlightBound;
            boolean span = (double) o.spanPeak / o.spanBound > (double) spanPeak / spanBound;
            return new Summary(loadPublications + o.loadPublications, costChanges + o.costChanges,
                    loadMoves + o.loadMoves, loadMovesOverTrigger + o.loadMovesOverTrigger, boundChecks + o.boundChecks,
                    serial ? o.serialPeak : serialPeak, serial ? o.serialBound : serialBound,
                    inFlight ? o.inFlightPeak : inFlightPeak, inFlight ? o.inFlightBound : inFlightBound,
                    span ? o.spanPeak : spanPeak, span ? o.spanBound : spanBound);
        }

        @Override
        public String toString() {
            return String.format("%d load publications, %d processor cost changes, %d moves for load (%d from a worker"
                            + " above the trigger); memory: %d fetches checked, most records kept at parallelism 1:"
                            + " %d of %d allowed, in flight through lanes: %d of %d, after the first unfinished: %d of %d",
                    loadPublications, costChanges, loadMoves, loadMovesOverTrigger, boundChecks, serialPeak, serialBound,
                    inFlightPeak, inFlightBound, spanPeak, spanBound);
        }
    }
}
