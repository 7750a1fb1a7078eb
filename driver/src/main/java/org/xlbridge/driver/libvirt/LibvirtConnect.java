package org.xlbridge.driver.libvirt;

import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.libvirt.event.DomainEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.DriverException;
import org.xlbridge.driver.api.LifecycleListener;

/**
 * libvirt-java's {@code org.libvirt.Connect} behind the driver API.
 *
 * <p>Events: libvirt itself queues lifecycle events per connection and flushes them with its own timer
 * on the registered event implementation (the -1 / 0 / -1 pattern of {@code object_event.c}), so this
 * adapter adds no queue of its own: it registers ONE libvirt-java {@link org.libvirt.event.LifecycleListener}
 * while it has listeners and hands each event, on the loop thread that libvirt dispatched it on, to its
 * listeners in registration order.
 *
 * <p>Locking: {@code this} guards {@link #forwarding} and {@link #closed} and is held across the libvirt
 * calls that register or remove the forwarder (never across a listener call). {@link #listeners} is a
 * copy-on-write list read without a lock by the forwarder.
 */
final class LibvirtConnect implements Connect {
    private static final Logger log = LoggerFactory.getLogger(LibvirtConnect.class);

    private final String uri;
    private final org.libvirt.Connect conn;
    private final CopyOnWriteArrayList<LifecycleListener> listeners = new CopyOnWriteArrayList<>();
    private final org.libvirt.event.LifecycleListener forwarder = this::forward;
    /** Guarded by this. The forwarder is registered with libvirt. */
    private boolean forwarding;
    /** Guarded by this; volatile for {@link #isOpen()}. */
    private volatile boolean closed;

    LibvirtConnect(String uri, org.libvirt.Connect conn) {
        this.uri = uri;
        this.conn = conn;
    }

    private int forward(org.libvirt.Domain d, DomainEvent event) {
        Domain domain;
        try {
            domain = new LibvirtDomain(this, d);
        } catch (DriverException e) {
            log.warn("{}: lifecycle event {} for a domain that cannot be read", uri, event, e);
            return 0;
        }
        for (LifecycleListener l : listeners) {
            // A listener removed by an earlier one (or concurrently) gets nothing more.
            if (!listeners.contains(l)) {
                continue;
            }
            try {
                l.onLifecycleChange(domain, event);
            } catch (RuntimeException e) {
                log.warn("{}: lifecycle listener threw on {} for {}", uri, event, domain.getName(), e);
            }
        }
        return 0;
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
        return LibvirtErrors.get("virConnectListDomains", conn::listDomains);
    }

    @Override
    public String[] listDefinedDomains() {
        checkOpen();
        return LibvirtErrors.get("virConnectListDefinedDomains", conn::listDefinedDomains);
    }

    @Override
    public Domain domainLookupByName(String name) {
        checkOpen();
        if (name == null) {
            throw new DriverException(ErrorNumber.VIR_ERR_INVALID_ARG, "name must not be null");
        }
        return new LibvirtDomain(this, LibvirtErrors.get("virDomainLookupByName " + name,
                () -> conn.domainLookupByName(name)));
    }

    @Override
    public Domain domainLookupByUUID(UUID uuid) {
        checkOpen();
        if (uuid == null) {
            throw new DriverException(ErrorNumber.VIR_ERR_INVALID_ARG, "uuid must not be null");
        }
        return new LibvirtDomain(this, LibvirtErrors.get("virDomainLookupByUUID " + uuid,
                () -> conn.domainLookupByUUIDString(uuid.toString())));
    }

    @Override
    public Domain domainLookupByID(int id) {
        checkOpen();
        return new LibvirtDomain(this, LibvirtErrors.get("virDomainLookupByID " + id,
                () -> conn.domainLookupByID(id)));
    }

    @Override
    public Domain domainDefineXML(String xml) {
        checkOpen();
        if (xml == null) {
            throw new DriverException(ErrorNumber.VIR_ERR_INVALID_ARG, "xml must not be null");
        }
        return new LibvirtDomain(this, LibvirtErrors.get("virDomainDefineXML", () -> conn.domainDefineXML(xml)));
    }

    @Override
    public synchronized void addLifecycleListener(LifecycleListener listener) {
        checkOpen();
        if (listener == null) {
            throw new DriverException(ErrorNumber.VIR_ERR_INVALID_ARG, "listener must not be null");
        }
        if (listeners.contains(listener)) {
            throw new DriverException(ErrorNumber.VIR_ERR_INVALID_ARG, uri + ": lifecycle listener already registered");
        }
        if (!forwarding) {
            LibvirtErrors.run("virConnectDomainEventRegisterAny", () -> conn.addLifecycleListener(forwarder));
            forwarding = true;
        }
        listeners.add(listener);
    }

    @Override
    public synchronized void removeLifecycleListener(LifecycleListener listener) {
        if (closed) {
            throw new DriverException(ErrorNumber.VIR_ERR_INVALID_CONN, uri + ": connection is closed");
        }
        if (!listeners.remove(listener)) {
            throw new DriverException(ErrorNumber.VIR_ERR_INVALID_ARG, uri + ": lifecycle listener not registered");
        }
        if (listeners.isEmpty() && forwarding && !closed) {
            forwarding = false;
            LibvirtErrors.run("virConnectDomainEventDeregisterAny", () -> conn.removeLifecycleListener(forwarder));
        }
    }

    @Override
    public boolean isOpen() {
        return !closed;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        listeners.clear();
        try {
            if (forwarding) {
                forwarding = false;
                conn.removeLifecycleListener(forwarder);
            }
        } catch (LibvirtException e) {
            log.warn("{}: removing the lifecycle callback failed", uri, e);
        }
        try {
            conn.close();
        } catch (LibvirtException e) {
            log.warn("{}: virConnectClose failed", uri, e);
        }
    }

    @Override
    public String toString() {
        return "LibvirtConnect[" + uri + "]";
    }
}
