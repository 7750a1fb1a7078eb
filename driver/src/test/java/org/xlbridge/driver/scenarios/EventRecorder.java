package org.xlbridge.driver.scenarios;

import java.util.ArrayList;
import java.util.List;
import org.libvirt.event.DomainEvent;
import org.libvirt.event.DomainEventType;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.LifecycleListener;
import org.xlbridge.eventloop.conformance.Await;

/** Records every lifecycle event with the thread it ran on; waits (bounded) for a given one. */
final class EventRecorder implements LifecycleListener {
    record Seen(String domain, DomainEventType type, Object detail, Thread thread) {
        @Override
        public String toString() {
            return domain + ":" + type + "/" + detail;
        }
    }

    private final List<Seen> seen = new ArrayList<>();

    @Override
    public synchronized void onLifecycleChange(Domain domain, DomainEvent event) {
        Object detail = event.getDetail();
        seen.add(new Seen(domain.getName(), event.getType(), detail, Thread.currentThread()));
    }

    synchronized List<Seen> all() {
        return List.copyOf(seen);
    }

    /** The events of one domain, in delivery order. */
    synchronized List<Seen> of(String domain) {
        List<Seen> out = new ArrayList<>();
        for (Seen s : seen) {
            if (s.domain().equals(domain)) {
                out.add(s);
            }
        }
        return out;
    }

    /** Events of one domain as "TYPE/DETAIL" strings. */
    List<String> names(String domain) {
        return of(domain).stream().map(s -> s.type() + "/" + s.detail()).toList();
    }

    /** Waits until the domain has received {@code count} events. */
    void awaitCount(String domain, int count) {
        Await.until(() -> of(domain).size() >= count, count + " events for " + domain + " (have " + names(domain)
                + ")");
    }

    /** Waits until an event of this type arrived for the domain. */
    void awaitType(String domain, DomainEventType type) {
        Await.until(() -> of(domain).stream().anyMatch(s -> s.type() == type),
                type + " for " + domain + " (have " + names(domain) + ")");
    }
}
