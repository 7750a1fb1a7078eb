package org.xlbridge.driver.xl;

import java.util.Objects;
import java.util.UUID;
import org.libvirt.Error.ErrorNumber;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.DomainInfo;
import org.xlbridge.driver.api.DriverException;

/**
 * A domain handle of an {@code xl} connection. Equal handles name the same domain on the same connection.
 *
 * <p>{@link #getID()} never fails, as libvirt's {@code virDomainGetID} (which answers the id its handle
 * holds): a lookup handle answers the domain's id while the driver knows the domain, and the last id it saw
 * once the domain is gone; an event's handle answers the id of the life the event is about (a STOPPED event
 * the id the domain had), as libvirt's event carries its domain's id from the moment it was made.
 *
 * <p>Thread-safe: {@link #lastId} is volatile; the rest is final.
 */
final class XlDomain implements Domain {
    private static final int NO_EVENT = Integer.MIN_VALUE;
    private final XlConnect conn;
    /**
     * The domain's record; replaced by the record that now has the same UUID when this one was undefined and
     * the domain defined again (libvirt's handles name a domain by UUID, so they find the new definition).
     */
    private volatile XlDomainObj obj;
    /** The life an event handle is about, or NO_EVENT. */
    private final int eventId;
    /** The last id this handle saw. */
    private volatile int lastId;

    XlDomain(XlConnect conn, XlDomainObj obj) {
        this(conn, obj, NO_EVENT);
    }

    private XlDomain(XlConnect conn, XlDomainObj obj, int eventId) {
        this.conn = conn;
        this.obj = obj;
        this.eventId = eventId;
        this.lastId = eventId == NO_EVENT ? obj.view.domid() : eventId;
    }

    /** The handle an event carries: its {@code getID()} is {@code id}, the id of the event's life. */
    static XlDomain ofEvent(XlConnect conn, XlDomainObj obj, int id) {
        return new XlDomain(conn, obj, id);
    }

    private XlState state() {
        if (!conn.isOpen()) {
            throw new DriverException(ErrorNumber.VIR_ERR_INVALID_CONN, conn.getURI() + ": connection is closed");
        }
        return conn.state();
    }

    /** The current record of this handle's domain (see {@link #obj}). */
    private XlDomainObj obj() {
        XlDomainObj o = obj;
        if (o.removed && conn.isOpen()) {
            XlDomainObj now = conn.state().byUuidOrNull(o.uuid);
            if (now != null) {
                obj = now;
                return now;
            }
        }
        return o;
    }

    @Override
    public String getName() {
        return obj.name;
    }

    @Override
    public UUID getUUID() {
        return obj.uuid;
    }

    @Override
    public int getID() {
        if (eventId != NO_EVENT || !conn.isOpen()) {
            return lastId;
        }
        XlDomainObj o = obj();
        if (o.removed) {
            return lastId;
        }
        int id = o.view.domid();
        lastId = id;
        return id;
    }

    @Override
    public boolean isActive() {
        return state().isActive(obj());
    }

    @Override
    public DomainInfo getInfo() {
        return state().info(obj());
    }

    @Override
    public void create() {
        state().create(obj());
    }

    @Override
    public void shutdown() {
        state().shutdown(obj());
    }

    @Override
    public void reboot() {
        state().reboot(obj());
    }

    @Override
    public void destroy() {
        state().destroy(obj());
    }

    @Override
    public void suspend() {
        state().suspend(obj());
    }

    @Override
    public void resume() {
        state().resume(obj());
    }

    @Override
    public void undefine() {
        state().undefine(obj());
    }

    @Override
    public void attachDevice(String deviceXml) {
        state().attachDisk(obj(), deviceXml);
    }

    @Override
    public void detachDevice(String deviceXml) {
        state().detachDisk(obj(), deviceXml);
    }

    @Override
    public String getXMLDesc() {
        return state().xml(obj());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof XlDomain d && d.conn == conn && d.obj.uuid.equals(obj.uuid);
    }

    @Override
    public int hashCode() {
        return Objects.hash(System.identityHashCode(conn), obj.uuid);
    }

    @Override
    public String toString() {
        return "Domain[" + obj.name + " " + obj.uuid + " on " + conn.getURI() + "]";
    }

}
