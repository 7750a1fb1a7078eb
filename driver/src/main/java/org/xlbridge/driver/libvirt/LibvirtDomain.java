package org.xlbridge.driver.libvirt;

import java.util.Objects;
import java.util.UUID;
import org.libvirt.DomainInfo.DomainState;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.DomainInfo;

/** A libvirt-java {@code org.libvirt.Domain} behind the driver API. Equal handles name the same UUID. */
final class LibvirtDomain implements Domain {
    private final LibvirtConnect connect;
    private final org.libvirt.Domain domain;
    private final String name;
    private final UUID uuid;

    LibvirtDomain(LibvirtConnect connect, org.libvirt.Domain domain) {
        this.connect = connect;
        this.domain = domain;
        // Name and UUID never change for a handle; read them once (events may outlive the domain).
        this.name = LibvirtErrors.get("virDomainGetName", domain::getName);
        this.uuid = UUID.fromString(LibvirtErrors.get("virDomainGetUUIDString", domain::getUUIDString));
    }

    @Override
    public String getName() {
        return name;
    }

    @Override
    public UUID getUUID() {
        return uuid;
    }

    @Override
    public int getID() {
        return LibvirtErrors.get("virDomainGetID " + name, domain::getID);
    }

    @Override
    public boolean isActive() {
        return LibvirtErrors.get("virDomainIsActive " + name, domain::isActive) == 1;
    }

    @Override
    public DomainInfo getInfo() {
        org.libvirt.DomainInfo i = LibvirtErrors.get("virDomainGetInfo " + name, domain::getInfo);
        DomainState state = i.state == null ? DomainState.VIR_DOMAIN_NOSTATE : i.state;
        return new DomainInfo(state, i.maxMem, i.memory, i.nrVirtCpu);
    }

    @Override
    public void create() {
        LibvirtErrors.get("virDomainCreate " + name, domain::create);
    }

    @Override
    public void shutdown() {
        LibvirtErrors.run("virDomainShutdown " + name, domain::shutdown);
    }

    @Override
    public void reboot() {
        LibvirtErrors.run("virDomainReboot " + name, () -> domain.reboot(0));
    }

    @Override
    public void destroy() {
        LibvirtErrors.run("virDomainDestroy " + name, domain::destroy);
    }

    @Override
    public void suspend() {
        LibvirtErrors.run("virDomainSuspend " + name, domain::suspend);
    }

    @Override
    public void resume() {
        LibvirtErrors.run("virDomainResume " + name, domain::resume);
    }

    @Override
    public void undefine() {
        LibvirtErrors.run("virDomainUndefine " + name, domain::undefine);
    }

    @Override
    public void attachDevice(String deviceXml) {
        LibvirtErrors.run("virDomainAttachDevice " + name, () -> domain.attachDevice(deviceXml));
    }

    @Override
    public void detachDevice(String deviceXml) {
        LibvirtErrors.run("virDomainDetachDevice " + name, () -> domain.detachDevice(deviceXml));
    }

    @Override
    public String getXMLDesc() {
        return LibvirtErrors.get("virDomainGetXMLDesc " + name, () -> domain.getXMLDesc(0));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LibvirtDomain d && d.connect == connect && d.uuid.equals(uuid);
    }

    @Override
    public int hashCode() {
        return Objects.hash(System.identityHashCode(connect), uuid);
    }

    @Override
    public String toString() {
        return "Domain[" + name + " " + uuid + " on " + connect.getURI() + "]";
    }
}
