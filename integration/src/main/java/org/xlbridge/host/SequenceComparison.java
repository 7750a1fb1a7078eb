package org.xlbridge.host;

import java.util.ArrayDeque;
import org.libvirt.event.DomainEvent;
import org.xlbridge.driver.api.LifecycleListener;

/**
 * Checks the cross-connection part of I9 for {@code xlbridge host}: two connections, both listening from the
 * start, must receive the driver's lifecycle events in one and the same sequence (libvirt has one event queue
 * per driver, so its connections always agree). The driver hands every connection the same {@link DomainEvent}
 * instance, so the two sequences are compared by identity, as they arrive: whatever one connection received and
 * the other has not yet waits in a queue, and the other's next event must be the head of that queue. Memory is
 * bounded by how far one connection is ahead of the other.
 *
 * <p>Locking: every field is guarded by {@code this}; the listeners are short and call nothing.
 */
final class SequenceComparison {
    /** Per side: events received that the other side has not matched yet. At most one of them is non-empty. */
    private final ArrayDeque<DomainEvent> first = new ArrayDeque<>();
    private final ArrayDeque<DomainEvent> second = new ArrayDeque<>();
    private long compared;
    private long different;

    /** The listener to add to the first connection. */
    LifecycleListener first() {
        return (d, e) -> received(0, e);
    }

    /** The listener to add to the second connection. */
    LifecycleListener second() {
        return (d, e) -> received(1, e);
    }

    /** Position by position: the n-th event of one connection against the n-th of the other. */
    synchronized void received(int side, DomainEvent event) {
        (side == 0 ? first : second).addLast(event);
        while (!first.isEmpty() && !second.isEmpty()) {
            compared++;
            if (first.pollFirst() != second.pollFirst()) {
                different++;
            }
        }
    }

    /** Positions compared so far. */
    synchronized long compared() {
        return compared;
    }

    /** Positions where the two sequences differ, plus events one side received and the other (not yet) did. */
    synchronized long differences() {
        return different + first.size() + second.size();
    }
}
