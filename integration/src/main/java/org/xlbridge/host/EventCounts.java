package org.xlbridge.host;

/**
 * Lifecycle events of an {@code xlbridge host} run (SPEC I9).
 *
 * @param expected      events the driver produced
 * @param delivered     deliveries the checking listener saw
 * @param lost          produced, never delivered
 * @param duplicated    delivered more than once (or never produced)
 * @param outOfOrder    delivered before an earlier event of the same domain
 * @param offLoopThread delivered on another thread than the loop's
 * @param comparedAcrossConnections  positions of two connections' event sequences compared
 * @param differentAcrossConnections positions where they differ, or events only one connection received
 */
public record EventCounts(long expected, long delivered, long lost, long duplicated, long outOfOrder,
        long offLoopThread, long comparedAcrossConnections, long differentAcrossConnections) {
    /** Counts of one connection, before a second one is compared with it. */
    public EventCounts(long expected, long delivered, long lost, long duplicated, long outOfOrder, long offLoopThread) {
        this(expected, delivered, lost, duplicated, outOfOrder, offLoopThread, 0, 0);
    }

    /** These counts with the comparison of two connections' sequences. */
    public EventCounts withComparison(long compared, long different) {
        return new EventCounts(expected, delivered, lost, duplicated, outOfOrder, offLoopThread, compared, different);
    }

    /** What counts against I9. */
    public long violations() {
        return lost + duplicated + outOfOrder + offLoopThread + differentAcrossConnections;
    }
}
