package org.xlbridge.serve;

import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import org.libvirt.event.DomainEvent;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.LifecycleListener;
import org.xlbridge.driver.xl.EventJournal;

/**
 * I9 for {@code xlbridge serve}, seen from the daemon's own checker connection: as the driver's
 * {@link EventJournal} it records each lifecycle event produced, per domain in order; as a listener on the
 * same event queue that feeds every client's connection it records what arrives, matched by identity.
 * Lost (never delivered by the end), duplicated, out of order or off the loop thread are violations.
 *
 * <p>Locking: every field is guarded by {@code this}; both entry points are short and call nothing.
 */
final class WireEventAudit implements EventJournal, LifecycleListener {
    private final Thread loopThread;
    private final IdentityHashMap<DomainEvent, int[]> produced = new IdentityHashMap<>();
    private final Map<String, Integer> nextIndex = new HashMap<>();
    private final Map<String, Integer> lastDelivered = new HashMap<>();
    private long produceCount;
    private long delivered;
    private long duplicated;
    private long outOfOrder;
    private long offLoopThread;

    WireEventAudit(Thread loopThread) {
        this.loopThread = loopThread;
    }

    @Override
    public synchronized void produced(String domain, DomainEvent event) {
        int index = nextIndex.merge(domain, 1, Integer::sum);
        produced.put(event, new int[] {index, 0});
        produceCount++;
    }

    @Override
    public synchronized void onLifecycleChange(Domain domain, DomainEvent event) {
        if (Thread.currentThread() != loopThread) {
            offLoopThread++;
        }
        int[] p = produced.get(event);
        if (p == null) {
            return; // produced before the audit was attached
        }
        if (++p[1] > 1) {
            duplicated++;
            return;
        }
        delivered++;
        String name = domain.getName();
        Integer last = lastDelivered.get(name);
        if (last != null && p[0] < last) {
            outOfOrder++;
        }
        lastDelivered.put(name, p[0]);
    }

    /** Events produced and not delivered (yet). */
    synchronized long lost() {
        return produceCount - delivered;
    }

    synchronized long produced() {
        return produceCount;
    }

    synchronized long delivered() {
        return delivered;
    }

    synchronized long violations() {
        return lost() + duplicated + outOfOrder + offLoopThread;
    }
}
