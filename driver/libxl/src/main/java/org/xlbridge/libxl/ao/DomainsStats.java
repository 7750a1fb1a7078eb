package org.xlbridge.libxl.ao;

/**
 * A snapshot of {@link LibxlDomains}: operations and watches, and the counters an invariant checker reads.
 *
 * @param inProgress         operations not completed
 * @param started            operations started (initiators that returned an ao)
 * @param completed          operations completed
 * @param aborted            of those, completed with ABORTED
 * @param timedOut           of those, completed with TIMEDOUT
 * @param doubleCompletions  attempts to complete an already completed operation (refused; I10 violation)
 * @param lateCallbacks      callbacks of an operation that ran after it completed (ignored; I10 violation)
 * @param earlyTimeouts      operations failed by a timeout callback that ran before its deadline (the stale-timeout
 *                           bug in an operation's terms)
 * @param registeredWatches  xenstore watches registered now
 * @param storeFdWatched     whether the store's fd is watched now
 * @param deathWatches       enabled domain death watches
 * @param eventsReported     libxl events given to the application
 */
public record DomainsStats(int inProgress, long started, long completed, long aborted, long timedOut,
                           long doubleCompletions, long lateCallbacks, long earlyTimeouts, int registeredWatches,
                           boolean storeFdWatched, int deathWatches, long eventsReported) {
    /** I10 violations: double completions, late callbacks and early timeouts. */
    public long violations() {
        return doubleCompletions + lateCallbacks + earlyTimeouts;
    }
}
