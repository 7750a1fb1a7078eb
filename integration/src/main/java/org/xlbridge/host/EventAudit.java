package org.xlbridge.host;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.libvirt.event.DomainEvent;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.LifecycleListener;
import org.xlbridge.driver.xl.EventJournal;

/**
 * Checks SPEC I9 for {@code xlbridge host}: as the driver's {@link EventJournal} it records every lifecycle
 * event produced, per domain in production order; as a {@link LifecycleListener} it records what arrives.
 * The driver hands the same {@link DomainEvent} instance to both, so a delivery is matched to its
 * production by identity: an event never delivered is lost, one delivered twice duplicated, one delivered
 * before an earlier event of its domain out of order, one delivered on another thread than the loop's off
 * the loop thread.
 *
 * <p>Locking: every field is guarded by {@code this}; both entry points are short and call nothing.
 */
final class EventAudit implements LifecycleAudit {
    private static final class Produced {
        final String domain;
        final int index;
        int deliveries;

        Produced(String domain, int index) {
            this.domain = domain;
            this.index = index;
        }
    }

    private final Thread loopThread;
    private final IdentityHashMap<DomainEvent, Produced> produced = new IdentityHashMap<>();
    private final Map<String, Integer> nextIndex = new HashMap<>();
    private final Map<String, Integer> lastDelivered = new HashMap<>();
    private long delivered;
    private long duplicated;
    private long outOfOrder;
    private long offLoopThread;
    private long unknown;

    EventAudit(Thread loopThread) {
        this.loopThread = loopThread;
    }

    @Override
    public synchronized void produced(String domain, DomainEvent event) {
        int i = nextIndex.merge(domain, 1, Integer::sum) - 1;
        produced.put(event, new Produced(domain, i));
    }

    @Override
    public synchronized void onLifecycleChange(Domain domain, DomainEvent event) {
        delivered++;
        if (Thread.currentThread() != loopThread) {
            offLoopThread++;
        }
        Produced p = produced.get(event);
        if (p == null) {
            unknown++; // an event the journal never saw: as bad as a duplicate
            return;
        }
        if (++p.deliveries > 1) {
            duplicated++;
            return;
        }
        int last = lastDelivered.getOrDefault(p.domain, -1);
        if (p.index < last) {
            outOfOrder++;
        } else {
            lastDelivered.put(p.domain, p.index);
        }
    }

    /** The counts so far. */
    @Override
    public synchronized EventCounts counts() {
        long lost = 0;
        for (Produced p : produced.values()) {
            if (p.deliveries == 0) {
                lost++;
            }
        }
        return new EventCounts(produced.size(), delivered, lost, duplicated + unknown, outOfOrder, offLoopThread);
    }

    /** Domains that produced an event not (yet) delivered, for the report's samples. */
    @Override
    public synchronized List<String> domainsWithLostEvents(int max) {
        List<String> out = new ArrayList<>();
        for (Produced p : produced.values()) {
            if (p.deliveries == 0 && !out.contains(p.domain) && out.size() < max) {
                out.add(p.domain);
            }
        }
        return out;
    }

}
