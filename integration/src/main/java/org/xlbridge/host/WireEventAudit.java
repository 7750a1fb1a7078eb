package org.xlbridge.host;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.libvirt.event.DomainEvent;
import org.xlbridge.driver.api.Domain;

/**
 * I9 for {@code xlbridge host --over-daemon}: the events a libvirt client received over the daemon's wire
 * against the events the daemon's xl driver produced. As the driver's journal (daemon side, same process) it
 * records each event produced, per domain in production order; as a lifecycle listener on a client
 * connection (libvirt-java through the {@code libvirt} driver) it matches each arrival. An arrival is a new
 * {@link DomainEvent} decoded by libvirt, so it is matched by value — domain name, type and detail — to the
 * first event of its domain produced and not yet matched with that value:
 * <ul>
 *   <li>none: duplicated (delivered again, or never produced);</li>
 *   <li>one, but an earlier event of that domain is still unmatched: out of order;</li>
 *   <li>produced and never matched by the end: lost;</li>
 *   <li>an arrival on another thread than the loop's: off the loop thread.</li>
 * </ul>
 * Production happens before the event is queued to the daemon's connections, so before it can arrive.
 * Memory: per domain, only the events from the oldest unmatched one on are kept.
 *
 * <p>Locking: every field is guarded by {@code this}; both entry points are short and call nothing.
 */
final class WireEventAudit implements LifecycleAudit {
    /** A produced event still kept: not matched, or matched ahead of an unmatched earlier one. */
    private static final class Pending {
        final String key;
        boolean matched;

        Pending(String key) {
            this.key = key;
        }
    }

    private final Thread loopThread;
    /** Per domain: from the oldest unmatched event on, in production order. */
    private final Map<String, ArrayDeque<Pending>> pending = new HashMap<>();
    private long expected;
    private long delivered;
    private long duplicated;
    private long outOfOrder;
    private long offLoopThread;

    WireEventAudit(Thread loopThread) {
        this.loopThread = loopThread;
    }

    /** What is compared of an event: its type and detail ("STARTED (BOOTED)"). */
    static String key(DomainEvent event) {
        return event.toString();
    }

    @Override
    public synchronized void produced(String domain, DomainEvent event) {
        expected++;
        pending.computeIfAbsent(domain, k -> new ArrayDeque<>()).addLast(new Pending(key(event)));
    }

    @Override
    public synchronized void onLifecycleChange(Domain domain, DomainEvent event) {
        delivered++;
        if (Thread.currentThread() != loopThread) {
            offLoopThread++;
        }
        ArrayDeque<Pending> q = pending.get(domain.getName());
        String key = key(event);
        Pending found = null;
        boolean earlierUnmatched = false;
        if (q != null) {
            for (Pending p : q) {
                if (p.matched) {
                    continue;
                }
                if (p.key.equals(key)) {
                    found = p;
                    break;
                }
                earlierUnmatched = true;
            }
        }
        if (found == null) {
            duplicated++;
            return;
        }
        found.matched = true;
        if (earlierUnmatched) {
            outOfOrder++;
        }
        while (!q.isEmpty() && q.peekFirst().matched) {
            q.pollFirst();
        }
    }

    @Override
    public synchronized EventCounts counts() {
        long lost = 0;
        for (ArrayDeque<Pending> q : pending.values()) {
            for (Pending p : q) {
                if (!p.matched) {
                    lost++;
                }
            }
        }
        return new EventCounts(expected, delivered, lost, duplicated, outOfOrder, offLoopThread);
    }

    @Override
    public synchronized List<String> domainsWithLostEvents(int max) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, ArrayDeque<Pending>> e : pending.entrySet()) {
            for (Iterator<Pending> it = e.getValue().iterator(); it.hasNext() && out.size() < max;) {
                if (!it.next().matched) {
                    out.add(e.getKey());
                    break;
                }
            }
        }
        return out;
    }
}
