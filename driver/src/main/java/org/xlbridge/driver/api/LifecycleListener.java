package org.xlbridge.driver.api;

import org.libvirt.event.DomainEvent;

/**
 * Receives domain lifecycle events, libvirt's {@code VIR_DOMAIN_EVENT_ID_LIFECYCLE}, with libvirt-java's
 * {@link DomainEvent} (type and detail). Called on the connection's event-loop thread, once per event
 * and, for one domain, in the order the changes happened (SPEC I9). A listener must not block: it holds
 * up every other event of the loop. It may call the driver, including removing itself.
 */
@FunctionalInterface
public interface LifecycleListener {
    void onLifecycleChange(Domain domain, DomainEvent event);
}
