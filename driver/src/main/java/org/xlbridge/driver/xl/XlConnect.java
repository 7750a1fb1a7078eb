package org.xlbridge.driver.xl;

import java.util.Optional;
import java.util.UUID;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.event.DomainEvent;
import org.xlbridge.driver.BridgeStats;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.DriverException;
import org.xlbridge.driver.api.LifecycleListener;
import org.xlbridge.driver.events.DomainEventQueue;
import org.xlbridge.driver.events.EventQueueStats;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.libxl.LibxlStats;
import org.xlbridge.libxl.ao.DomainsStats;
import org.xlbridge.xen.SimHost;

/**
 * A connection to {@code xl:///system}. Its lifecycle events go through its own {@link DomainEventQueue},
 * flushed by one timer of the runtime's loop. Besides the driver API it offers the diagnostics that
 * reports and invariant checks read ({@link #driverStats()}, {@link #operationStats()}, ...).
 *
 * <p>Thread-safe: {@link #closed} is volatile; the rest is final or the state's.
 */
public final class XlConnect implements Connect {
    private final XlState state;
    private final String uri;
    private final DomainEventQueue events;
    private volatile boolean closed;

    XlConnect(XlState state, String uri, EventLoop loop) {
        this.state = state;
        this.uri = uri;
        this.events = new DomainEventQueue(loop, uri);
    }

    /**
     * Called by the state with the domain's job and the driver's event order held; {@code id} is the id of the
     * life the event is about, which the event's handle answers from {@code getID()}.
     */
    void queueEvent(XlDomainObj o, DomainEvent ev, int id) {
        events.queue(XlDomain.ofEvent(this, o, id), ev);
    }

    XlState state() {
        return state;
    }

    private void checkOpen() {
        if (closed) {
            throw new DriverException(ErrorNumber.VIR_ERR_INVALID_CONN, uri + ": connection is closed");
        }
    }

    @Override
    public String getURI() {
        return uri;
    }

    @Override
    public int[] listDomains() {
        checkOpen();
        return state.activeIds();
    }

    @Override
    public String[] listDefinedDomains() {
        checkOpen();
        return state.inactiveNames();
    }

    @Override
    public Domain domainLookupByName(String name) {
        checkOpen();
        if (name == null) {
            throw new DriverException(ErrorNumber.VIR_ERR_INVALID_ARG, "name must not be null");
        }
        return new XlDomain(this, state.byName(name));
    }

    @Override
    public Domain domainLookupByUUID(UUID uuid) {
        checkOpen();
        if (uuid == null) {
            throw new DriverException(ErrorNumber.VIR_ERR_INVALID_ARG, "uuid must not be null");
        }
        return new XlDomain(this, state.byUuid(uuid));
    }

    @Override
    public Domain domainLookupByID(int id) {
        checkOpen();
        return new XlDomain(this, state.byId(id));
    }

    @Override
    public Domain domainDefineXML(String xml) {
        checkOpen();
        return new XlDomain(this, state.define(xml));
    }

    @Override
    public void addLifecycleListener(LifecycleListener listener) {
        checkOpen();
        events.addListener(listener);
    }

    /** @throws DriverException {@code VIR_ERR_INVALID_CONN} on a closed connection (its listeners are gone) */
    @Override
    public void removeLifecycleListener(LifecycleListener listener) {
        checkOpen();
        events.removeListener(listener);
    }

    @Override
    public boolean isOpen() {
        return !closed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        state.connectionClosed(this);
        events.close();
    }

    /** Shows every lifecycle event the driver produces to {@code journal} (null: none). See {@link EventJournal}. */
    public void setEventJournal(EventJournal journal) {
        state.journal(journal);
    }

    /** Shows the start and completion of every shutdown and reboot operation to {@code journal} (null: none). */
    public void setOperationJournal(OperationJournal journal) {
        state.operationJournal(journal);
    }

    /**
     * The simulated Xen host behind this connection, once one runs: for fault injection (crash a guest now,
     * make it ignore a request), as a test would reach into a real hypervisor.
     */
    public Optional<SimHost> simulatedHost() {
        return state.host();
    }

    /** The driver's counters (shutdown answers and timeouts, reboots, libxl events, actions). */
    public XlStats driverStats() {
        return state.stats();
    }

    /** libxl's operation counters (started, completed, timed out, aborted, I10 violations), once a host runs. */
    public Optional<DomainsStats> operationStats() {
        return state.domainsStats();
    }

    /** The osevent bridge's counters (registrations, ASAP modifies that met a running dispatch, frees). */
    public BridgeStats bridgeStats() {
        return state.bridge().stats();
    }

    /** The libxl ctx's counters. */
    public LibxlStats contextStats() {
        return state.context().stats();
    }

    /** This connection's event queue counters (queued, delivered, dropped). */
    public EventQueueStats eventStats() {
        return events.stats();
    }

    @Override
    public String toString() {
        return "XlConnect[" + uri + "]";
    }
}
