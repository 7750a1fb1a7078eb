package org.xlbridge.driver.xl;

import java.util.Objects;
import java.util.UUID;
import org.libvirt.Error.ErrorNumber;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.DomainInfo;
import org.xlbridge.driver.api.DriverException;

/** A domain handle of an {@code xl} connection. Equal handles name the same domain on the same connection. */
final class XlDomain implements Domain {
    private final XlConnect conn;
    private final XlDomainObj obj;

    XlDomain(XlConnect conn, XlDomainObj obj) {
        this.conn = conn;
        this.obj = obj;
    }

    private XlState state() {
        if (!conn.isOpen()) {
            throw new DriverException(ErrorNumber.VIR_ERR_INVALID_CONN, conn.getURI() + ": connection is closed");
        }
        return conn.state();
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
        return state().id(obj);
    }

    @Override
    public boolean isActive() {
        return state().isActive(obj);
    }

    @Override
    public DomainInfo getInfo() {
        return state().info(obj);
    }

    @Override
    public void create() {
        state().create(obj);
    }

    @Override
    public void shutdown() {
        state().shutdown(obj);
    }

    @Override
    public void reboot() {
        state().reboot(obj);
    }

    @Override
    public void destroy() {
        state().destroy(obj);
    }

    @Override
    public void suspend() {
        state().suspend(obj);
    }

    @Override
    public void resume() {
        state().resume(obj);
    }

    @Override
    public void undefine() {
        state().undefine(obj);
    }

    @Override
    public void attachDevice(String deviceXml) {
        state().attachDisk(obj, deviceXml);
    }

    @Override
    public void detachDevice(String deviceXml) {
        state().detachDisk(obj, deviceXml);
    }

    @Override
    public String getXMLDesc() {
        return state().xml(obj);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof XlDomain d && d.conn == conn && d.obj == obj;
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
