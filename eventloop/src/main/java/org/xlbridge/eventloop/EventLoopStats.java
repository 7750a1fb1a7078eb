package org.xlbridge.eventloop;

/**
 * A snapshot of an event loop's counters.
 *
 * @param liveTimeouts       timers added and not yet removed
 * @param liveHandles        handles added and not yet removed
 * @param dispatches         callbacks run (timers and handles) since the loop was made
 * @param callbackFailures   callbacks that threw
 * @param pendingFrees       registrations removed whose {@link FreeCallback} has not run yet
 * @param iterations         loop iterations run
 * @param maxLatenessNanos   the largest delay seen between a timer's expiry and its dispatch
 */
public record EventLoopStats(
        int liveTimeouts,
        int liveHandles,
        long dispatches,
        long callbackFailures,
        int pendingFrees,
        long iterations,
        long maxLatenessNanos) {
}
