package org.xlbridge.driver.xl;

import org.libvirt.event.DomainEvent;

/**
 * Sees every lifecycle event the {@code xl} driver produces, as it produces it (with the domain's job held,
 * so in that domain's order), before it is queued to the connections. The same {@link DomainEvent}
 * instance then reaches the listeners, so a checker can match deliveries to productions by identity: that
 * is how {@code xlbridge host} counts events lost, duplicated or out of order (SPEC I9). Must be quick and
 * must not call the driver.
 */
@FunctionalInterface
public interface EventJournal {
    void produced(String domain, DomainEvent event);
}
