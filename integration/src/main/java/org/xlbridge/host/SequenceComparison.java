package org.xlbridge.host;

import java.util.ArrayDeque;
import java.util.Objects;
import java.util.function.BiFunction;
import org.libvirt.event.DomainEvent;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.LifecycleListener;

/**
 * Checks the cross-connection part of I9 for {@code xlbridge host}: two connections, both listening from the
 * start, must receive the driver's lifecycle events in one and the same sequence (libvirt has one event queue
 * per driver, so its connections always agree). The driver hands every connection the same {@link DomainEvent}
 * instance, so in-process the two sequences are compared by identity; over the daemon's wire each connection
 * decodes its own instances, so there they are compared by value (domain name, type and detail:
 * {@link #byValue()}). As they arrive: whatever one connection received and the other has not yet waits in a
 * queue, and the other's next event must be the head of that queue. Memory is bounded by how far one
 * connection is ahead of the other.
 *
 * <p>Locking: every field is guarded by {@code this}; the listeners are short and call nothing.
 */
final class SequenceComparison {
    /** Per side: events received that the other side has not matched yet. At most one of them is non-empty. */
    private final ArrayDeque<Object> first = new ArrayDeque<>();
    private final ArrayDeque<Object> second = new ArrayDeque<>();
    /** Immutable: what is compared of a delivery. */
    private final BiFunction<Domain, DomainEvent, Object> key;
    private long compared;
    private long different;

    /** Compares the event instances by identity (one process, one driver: the same instance reaches both). */
    SequenceComparison() {
        this((d, e) -> e); // DomainEvent does not override equals: identity
    }

    private SequenceComparison(BiFunction<Domain, DomainEvent, Object> key) {
        this.key = key;
    }

    /** Compares domain name, type and detail: for connections that each decode their own events (the wire). */
    static SequenceComparison byValue() {
        return new SequenceComparison((d, e) -> d.getName() + " " + e); // "TYPE (DETAIL)"
    }

    /** The listener to add to the first connection. */
    LifecycleListener first() {
        return (d, e) -> receivedKey(0, key.apply(d, e));
    }

    /** The listener to add to the second connection. */
    LifecycleListener second() {
        return (d, e) -> receivedKey(1, key.apply(d, e));
    }

    /** Position by position: the n-th event of one connection against the n-th of the other (by identity). */
    void received(int side, DomainEvent event) {
        receivedKey(side, event);
    }

    private synchronized void receivedKey(int side, Object k) {
        (side == 0 ? first : second).addLast(k);
        while (!first.isEmpty() && !second.isEmpty()) {
            compared++;
            if (!Objects.equals(first.pollFirst(), second.pollFirst())) {
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
