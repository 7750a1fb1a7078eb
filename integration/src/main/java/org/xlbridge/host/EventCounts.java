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
 */
public record EventCounts(long expected, long delivered, long lost, long duplicated, long outOfOrder,
        long offLoopThread) {
    /** What counts against I9. */
    public long violations() {
        return lost + duplicated + outOfOrder + offLoopThread;
    }
}
