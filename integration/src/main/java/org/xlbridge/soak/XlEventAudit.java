package org.xlbridge.soak;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.libvirt.event.DomainEvent;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.LifecycleListener;
import org.xlbridge.driver.xl.EventJournal;

/**
 * SPEC I9 for one xl driver state of the soak, in memory that does not grow with the run: as the driver's
 * {@link EventJournal} it appends each produced event to its domain's queue; as a {@link LifecycleListener}
 * it takes each delivered event off that queue. The driver hands the same {@link DomainEvent} instance to
 * both, so matching is by identity: the delivered event should be the head of its domain's queue; one
 * found deeper was delivered out of order; one not found at all was delivered twice (or never produced).
 * What stays queued is undelivered: lost if the connection is still open at the end, dropped by the close
 * at a state restart (counted apart, see {@link XlWorkload}). Only undelivered events are held, so memory is
 * bounded by the domains and by events in flight, not by the run's length.
 *
 * <p>Locking: every field is guarded by {@code this}; both entry points are short and call nothing.
 */
final class XlEventAudit implements EventJournal, LifecycleListener {
    private final Thread loopThread;
    private final Map<String, ArrayDeque<DomainEvent>> queues = new HashMap<>();
    /** Events produced per domain since the state started (one counter per domain: bounded). */
    private final Map<String, long[]> producedBy = new HashMap<>();
    private long produced;
    private long delivered;
    private long pending;
    private long duplicated;
    private long outOfOrder;
    private long offLoopThread;

    XlEventAudit(Thread loopThread) {
        this.loopThread = loopThread;
    }

    @Override
    public synchronized void produced(String domain, DomainEvent event) {
        queues.computeIfAbsent(domain, k -> new ArrayDeque<>()).addLast(event);
        producedBy.computeIfAbsent(domain, k -> new long[1])[0]++;
        produced++;
        pending++;
    }

    @Override
    public synchronized void onLifecycleChange(Domain domain, DomainEvent event) {
        delivered++;
        if (Thread.currentThread() != loopThread) {
            offLoopThread++;
        }
        ArrayDeque<DomainEvent> q = queues.get(domain.getName());
        if (q != null && q.peekFirst() == event) {
            q.pollFirst();
            pending--;
            return;
        }
        if (q != null) {
            for (Iterator<DomainEvent> it = q.iterator(); it.hasNext(); ) {
                if (it.next() == event) {
                    it.remove();
                    pending--;
                    outOfOrder++;
                    return;
                }
            }
        }
        duplicated++;
    }

    /** Events {@code domain} produced since the state started. */
    synchronized long producedFor(String domain) {
        long[] n = producedBy.get(domain);
        return n == null ? 0 : n[0];
    }

    /** Produced and not yet delivered. */
    synchronized long pending() {
        return pending;
    }

    /** Forgets the undelivered events (the connection closed) and returns how many there were. */
    synchronized long dropUndelivered() {
        long n = pending;
        queues.clear();
        pending = 0;
        return n;
    }

    /** Counts so far: produced, delivered, duplicated, out of order, off the loop thread. */
    synchronized long[] counts() {
        return new long[] {produced, delivered, duplicated, outOfOrder, offLoopThread};
    }
}
